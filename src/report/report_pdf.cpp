// The report as a paginated PDF, drawn with Cairo. Two passes: the blocks are laid out
// into pages first (measuring text with the fonts that will print it), so that every
// footer can say "page N of M"; then each page is drawn.

#include "report/report_document.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/core.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <variant>

namespace microstamp {
namespace report {
namespace {

// A4 in points, with margins wide enough for a binder's punch holes.
constexpr double page_width = 595.28, page_height = 841.89;
constexpr double margin_left = 56, margin_right = 56, margin_top = 56, margin_bottom = 64;
constexpr double text_width = page_width - margin_left - margin_right;
constexpr double label_width = 132;  // field labels in one column, values beside them

enum class Font { regular, bold, mono };

struct TextRun {
    double x = 0, y = 0;  // baseline start
    Font font = Font::regular;
    double size = 0;
    std::string text;
};
struct Picture {
    double x = 0, y = 0, width = 0, height = 0;
    std::shared_ptr<cairo_surface_t> surface;
};
struct Rule {
    double y = 0;
};
using Mark = std::variant<TextRun, Picture, Rule>;
using Page = std::vector<Mark>;

void select(cairo_t* context, Font font, double size) {
    cairo_select_font_face(context, font == Font::mono ? "DejaVu Sans Mono" : "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           font == Font::bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(context, size);
}

double advance(cairo_t* context, Font font, double size, const std::string& text) {
    select(context, font, size);
    cairo_text_extents_t extents;
    cairo_text_extents(context, text.c_str(), &extents);
    return extents.x_advance;
}

// Greedy word wrap; a word wider than the line (a hash, a path) is broken by characters.
std::vector<std::string> wrap(cairo_t* context, Font font, double size, const std::string& text, double width) {
    std::vector<std::string> lines;
    std::string line;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        std::string word = text.substr(start, end - start);
        start = end + 1;
        const std::string joined = line.empty() ? word : line + " " + word;
        if (advance(context, font, size, joined) <= width) {
            line = joined;
            continue;
        }
        if (!line.empty()) lines.push_back(line);
        line.clear();
        while (advance(context, font, size, word) > width) {
            std::size_t fit = 1;
            while (fit < word.size() && advance(context, font, size, word.substr(0, fit + 1)) <= width) ++fit;
            lines.push_back(word.substr(0, fit));
            word.erase(0, fit);
        }
        line = word;
    }
    if (!line.empty()) lines.push_back(line);
    return lines;
}

cairo_status_t read_from_bytes(void* closure, unsigned char* data, unsigned int length) {
    auto* remaining = static_cast<std::span<const std::uint8_t>*>(closure);
    if (remaining->size() < length) return CAIRO_STATUS_READ_ERROR;
    std::memcpy(data, remaining->data(), length);
    *remaining = remaining->subspan(length);
    return CAIRO_STATUS_SUCCESS;
}

std::shared_ptr<cairo_surface_t> decode_png(const std::vector<std::uint8_t>& png) {
    std::span<const std::uint8_t> remaining(png);
    cairo_surface_t* surface = cairo_image_surface_create_from_png_stream(read_from_bytes, &remaining);
    std::shared_ptr<cairo_surface_t> owned(surface, cairo_surface_destroy);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) return nullptr;
    return owned;
}

class Layout {
public:
    explicit Layout(cairo_t* measure) : measure_(measure) { pages_.emplace_back(); }

    void add(const Block& block) {
        switch (block.kind) {
        case BlockKind::title: lines(Font::bold, 16, block.text, margin_left, text_width, 8, 10); break;
        case BlockKind::heading:
            need(40);
            y_ += 10;
            lines(Font::bold, 12.5, block.text, margin_left, text_width, 2, 0);
            pages_.back().push_back(Rule{y_});
            y_ += 6;
            break;
        case BlockKind::subheading:
            need(36);
            y_ += 4;
            lines(Font::bold, 10, block.text, margin_left, text_width, 2, 0);
            break;
        case BlockKind::field: field(block); break;
        case BlockKind::paragraph: lines(Font::regular, 9, block.text, margin_left, text_width, 2, 4); break;
        case BlockKind::code: code(block); break;
        case BlockKind::image: image(block); break;
        }
    }
    std::vector<Page> pages() && { return std::move(pages_); }

private:
    double bottom() const { return page_height - margin_bottom; }
    void need(double height) {
        if (y_ + height > bottom()) new_page();
    }
    void new_page() {
        pages_.emplace_back();
        y_ = margin_top;
    }
    void lines(Font font, double size, const std::string& text, double x, double width, double gap_before,
               double gap_after) {
        y_ += gap_before;
        for (const std::string& line : wrap(measure_, font, size, text, width)) {
            need(size * 1.3);
            y_ += size * 1.3;
            pages_.back().push_back(TextRun{x, y_, font, size, line});
        }
        y_ += gap_after;
    }
    void field(const Block& block) {
        constexpr double size = 8.5;
        const auto values = wrap(measure_, Font::regular, size, block.text, text_width - label_width);
        need(size * 1.3 * static_cast<double>(std::min<std::size_t>(values.size(), 3)) + 2);
        y_ += 2;
        bool first = true;
        for (const std::string& value : values) {
            need(size * 1.3);
            y_ += size * 1.3;
            if (first) pages_.back().push_back(TextRun{margin_left, y_, Font::bold, size, block.label});
            pages_.back().push_back(TextRun{margin_left + label_width, y_, Font::regular, size, value});
            first = false;
        }
    }
    // Code lines are never wrapped (a proof must reach the reader's file as written); a line
    // too long for the page is set smaller instead.
    void code(const Block& block) {
        constexpr double size = 6.5, leading = 8;
        const double height = leading * static_cast<double>(block.lines.size()) + 6;
        if (height <= bottom() - margin_top) need(height);
        y_ += 6;
        for (const std::string& line : block.lines) {
            need(leading);
            y_ += leading;
            const double width = advance(measure_, Font::mono, size, line);
            const double fitted = width > text_width ? size * text_width / width : size;
            pages_.back().push_back(TextRun{margin_left, y_, Font::mono, fitted, line});
        }
    }
    void image(const Block& block) {
        const std::shared_ptr<cairo_surface_t> surface = decode_png(block.png);
        if (!surface) {
            lines(Font::regular, 9, "(the overlay could not be decoded) " + block.text, margin_left, text_width, 2, 4);
            return;
        }
        const double width = block.width_inches * 72;
        const double height = width * cairo_image_surface_get_height(surface.get()) /
                              std::max(1, cairo_image_surface_get_width(surface.get()));
        const auto caption = wrap(measure_, Font::regular, 8, block.text, text_width);
        need(height + 10 + 10.4 * static_cast<double>(caption.size()));
        y_ += 6;
        pages_.back().push_back(Picture{margin_left, y_, width, height, surface});
        y_ += height;
        lines(Font::regular, 8, block.text, margin_left, text_width, 0, 4);
    }

    cairo_t* measure_;
    std::vector<Page> pages_;
    double y_ = margin_top;
};

cairo_status_t append_to_bytes(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::vector<std::uint8_t>*>(closure)->insert(static_cast<std::vector<std::uint8_t>*>(closure)->end(),
                                                              data, data + length);
    return CAIRO_STATUS_SUCCESS;
}

void draw(cairo_t* context, const Mark& mark) {
    if (const auto* run = std::get_if<TextRun>(&mark)) {
        select(context, run->font, run->size);
        cairo_move_to(context, run->x, run->y);
        cairo_show_text(context, run->text.c_str());
    } else if (const auto* picture = std::get_if<Picture>(&mark)) {
        cairo_save(context);
        cairo_translate(context, picture->x, picture->y);
        cairo_scale(context, picture->width / cairo_image_surface_get_width(picture->surface.get()),
                    picture->height / cairo_image_surface_get_height(picture->surface.get()));
        cairo_set_source_surface(context, picture->surface.get(), 0, 0);
        cairo_paint(context);
        cairo_restore(context);
        cairo_set_source_rgb(context, 0, 0, 0);
    } else if (const auto* rule = std::get_if<Rule>(&mark)) {
        cairo_set_line_width(context, 0.6);
        cairo_move_to(context, margin_left, rule->y + 3);
        cairo_line_to(context, page_width - margin_right, rule->y + 3);
        cairo_stroke(context);
    }
}

} // namespace
} // namespace report

std::vector<std::uint8_t> render_report_pdf(const ReportContent& content) {
    using namespace report;
    std::vector<Page> pages;
    {
        std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> scratch(
            cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1), cairo_surface_destroy);
        std::unique_ptr<cairo_t, decltype(&cairo_destroy)> measure(cairo_create(scratch.get()), cairo_destroy);
        Layout layout(measure.get());
        for (const Block& block : report_blocks(content)) layout.add(block);
        pages = std::move(layout).pages();
    }
    std::vector<std::uint8_t> bytes;
    {
        std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
            cairo_pdf_surface_create_for_stream(append_to_bytes, &bytes, page_width, page_height), cairo_surface_destroy);
        cairo_pdf_surface_restrict_to_version(surface.get(), CAIRO_PDF_VERSION_1_5);
        const std::string title = fmt::format("Examination report, case {}/{} item {}", content.case_record.agency_ori,
                                              content.case_record.case_number, content.exhibit.item_number);
        cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
        cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_AUTHOR, content.examiner.c_str());
        cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "microstamp " PROJECT_VERSION_TEXT);
        // The report's own date, not the clock's: the same content gives the same bytes.
        cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE, content.issued_at.c_str());
        cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_MOD_DATE, content.issued_at.c_str());
        std::unique_ptr<cairo_t, decltype(&cairo_destroy)> context(cairo_create(surface.get()), cairo_destroy);
        const std::string footer = report_footer(content);
        for (std::size_t index = 0; index < pages.size(); ++index) {
            cairo_set_source_rgb(context.get(), 0, 0, 0);
            for (const Mark& mark : pages[index]) draw(context.get(), mark);
            select(context.get(), Font::regular, 7.5);
            cairo_move_to(context.get(), margin_left, page_height - 36);
            cairo_show_text(context.get(), footer.c_str());
            const std::string page_number = fmt::format("page {} of {}", index + 1, pages.size());
            cairo_move_to(context.get(),
                          page_width - margin_right - advance(context.get(), Font::regular, 7.5, page_number),
                          page_height - 36);
            select(context.get(), Font::regular, 7.5);
            cairo_show_text(context.get(), page_number.c_str());
            cairo_show_page(context.get());
        }
        cairo_surface_finish(surface.get());
        if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
            throw std::runtime_error(std::string("report PDF: ") + cairo_status_to_string(cairo_surface_status(surface.get())));
    }
    return bytes;
}

} // namespace microstamp
