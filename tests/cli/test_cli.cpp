// The command line as a user meets it: real processes, real files, exit codes
// and one-line errors.

#include "support/command_run.hpp"
#include "test_locations.hpp"
#include <gtest/gtest.h>

#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace {

using CommandResult = microstamp::testing::CommandRun;

std::string slurp(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// Every path the tests pass is absolute, so the folder only holds the stderr file.
CommandResult run(const std::string& arguments) {
    const auto folder = std::filesystem::temp_directory_path() / fmt::format("microstamp-cli-run-{}", ::getpid());
    std::filesystem::create_directories(folder);
    CommandResult result = microstamp::testing::run_in_folder(std::string(MICROSTAMP_BINARY) + " " + arguments, folder);
    std::filesystem::remove_all(folder);
    return result;
}

std::filesystem::path scratch(const std::string& name) {
    const auto path = std::filesystem::temp_directory_path() / fmt::format("microstamp-cli-{}-{}", name, ::getpid());
    std::filesystem::remove_all(path);
    return path;
}

std::size_t lines(const std::string& text) {
    std::size_t count = 0;
    for (const char character : text) count += character == '\n';
    return count;
}

void expect_one_line_error(const CommandResult& result, const std::string& fragment) {
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(lines(result.err), 1u) << result.err;
    EXPECT_NE(result.err.find(fragment), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(Cli, EncodeWritesTheDieAndInfoReadsItBack) {
    const auto out = scratch("encode");
    const CommandResult encoded = run(fmt::format("encode --make Glock --model G17 --serial BXR123 --design ring+text+gear --out {}", out.string()));
    ASSERT_EQ(encoded.exit_code, 0) << encoded.err;
    const auto summary = nlohmann::json::parse(encoded.out);
    EXPECT_EQ(summary["identity"]["serial"], "BXR123");
    EXPECT_EQ(summary["designs"], "ring+text+gear");
    for (const char* file : {"die.x3p", "die.svg", "preview.png", "manifest.json"})
        EXPECT_TRUE(std::filesystem::is_regular_file(out / file)) << file;

    const CommandResult x3p = run(fmt::format("info {}", (out / "die.x3p").string()));
    ASSERT_EQ(x3p.exit_code, 0) << x3p.err;
    const auto x3p_info = nlohmann::json::parse(x3p.out);
    EXPECT_EQ(x3p_info["kind"], "x3p");
    EXPECT_EQ(x3p_info["size_x"], 1502);
    EXPECT_NEAR(x3p_info["z_min_um"].get<double>(), -15.0, 1e-6);

    const CommandResult die = run(fmt::format("info {}", out.string()));
    ASSERT_EQ(die.exit_code, 0) << die.err;
    EXPECT_EQ(nlohmann::json::parse(die.out)["identity"]["model"], "G17");

    const CommandResult png = run(fmt::format("info {}", (out / "preview.png").string()));
    ASSERT_EQ(png.exit_code, 0) << png.err;
    EXPECT_EQ(nlohmann::json::parse(png.out)["kind"], "image");
    std::filesystem::remove_all(out);
}

TEST(Cli, InfoReadsTheSharedSamples) {
    const CommandResult result = run(std::string("info ") + MICROSTAMP_SHARED_DIR + "/x3p-samples/sample-land.x3p");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto info = nlohmann::json::parse(result.out);
    EXPECT_EQ(info["size_x"], 918);
    EXPECT_EQ(info["size_y"], 256);
    EXPECT_EQ(info["invalid_points"], 25292);
    const CommandResult stale = run(std::string("info ") + MICROSTAMP_SHARED_DIR + "/x3p-samples/csafe-logo.x3p");
    ASSERT_EQ(stale.exit_code, 0) << stale.err;
    EXPECT_NE(stale.err.find("warning"), std::string::npos);
}

TEST(Cli, UnknownManufacturerIsOneLineAndWritesNothing) {
    const auto out = scratch("unknown");
    expect_one_line_error(run(fmt::format("encode --make Glok --model G17 --serial 1 --out {}", out.string())),
                          "unknown manufacturer 'Glok'; closest known: 'Glock'");
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cli, UnknownModelIsOneLineAndWritesNothing) {
    const auto out = scratch("model");
    expect_one_line_error(run(fmt::format("encode --make Glock --model G99 --serial 1 --out {}", out.string())),
                          "unknown Glock model 'G99'");
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cli, BadSerialsAreOneLineAndWriteNothing) {
    const auto out = scratch("serial");
    expect_one_line_error(run(fmt::format("encode --make Glock --model G17 --serial 'AB_12' --out {}", out.string())),
                          "contains '_'");
    expect_one_line_error(run(fmt::format("encode --make Glock --model G17 --serial ABCDEFGHJKLMN --out {}", out.string())),
                          "13 characters");
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Cli, UnwritableOutputIsOneLine) {
    expect_one_line_error(run("encode --make Glock --model G17 --serial 1 --out /proc/microstamp/die"), "cannot");
    const auto out = scratch("occupied");
    std::filesystem::create_directories(out);
    std::ofstream(out / "other.txt") << "x";
    expect_one_line_error(run(fmt::format("encode --make Glock --model G17 --serial 1 --out {}", out.string())),
                          "exists and is not empty");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(out), {}), 1);
    std::filesystem::remove_all(out);
}

TEST(Cli, CorruptFilesAreOneLine) {
    const auto dir = scratch("corrupt");
    std::filesystem::create_directories(dir);
    const std::string fixture = std::string(MICROSTAMP_SHARED_DIR) + "/x3p-samples/testing.x3p";
    ASSERT_TRUE(std::filesystem::is_regular_file(fixture)) << fixture << ": fixture file missing";
    const std::string sample = slurp(fixture);
    std::ofstream(dir / "truncated.x3p", std::ios::binary) << sample.substr(0, sample.size() / 2);
    expect_one_line_error(run(fmt::format("info {}", (dir / "truncated.x3p").string())), "truncated.x3p");
    std::ofstream(dir / "noise.png", std::ios::binary) << "this is not an image";
    expect_one_line_error(run(fmt::format("info {}", (dir / "noise.png").string())), "noise.png");
    expect_one_line_error(run(fmt::format("info {}", (dir / "absent.x3p").string())), "no such file");
    std::filesystem::remove_all(dir);
}

// A die folder shared by the fire tests.
const std::filesystem::path& die_folder() {
    static const std::filesystem::path folder = [] {
        const auto path = scratch("fire-die");
        const CommandResult made = run(fmt::format("encode --make 'SIG Sauer' --model P320 --serial 58A-104233 --out {}", path.string()));
        EXPECT_EQ(made.exit_code, 0) << made.err;
        return path;
    }();
    return folder;
}

TEST(Cli, FireWritesShotsThatInfoReadsBack) {
    const auto out = scratch("fire");
    const CommandResult fired = run(fmt::format(
        "fire --die {} --firearm duty-40-tilting --ammo standard-small-pistol --rounds 3000 --shots 1,3000 --seed 9 "
        "--size 400 --spacing 3 --breech-face --out {}",
        die_folder().string(), out.string()));
    ASSERT_EQ(fired.exit_code, 0) << fired.err;
    for (const char* file : {"shot-000001.x3p", "shot-000001.png", "shot-000001.truth.json", "shot-003000.x3p",
                             "shot-003000-breech.x3p", "shot-003000-breech.png", "run.json"})
        EXPECT_TRUE(std::filesystem::is_regular_file(out / file)) << file;
    const auto truth = nlohmann::json::parse(slurp(out / "shot-003000.truth.json"));
    EXPECT_EQ(truth["identity"]["serial"], "58A-104233");
    EXPECT_EQ(truth["wear"]["rounds_before_shot"], 2999);
    EXPECT_EQ(truth["firearm"]["name"], "duty-40-tilting");

    const CommandResult x3p = run(fmt::format("info {}", (out / "shot-003000.x3p").string()));
    ASSERT_EQ(x3p.exit_code, 0) << x3p.err;
    const auto info = nlohmann::json::parse(x3p.out);
    EXPECT_EQ(info["size_x"], 400);
    EXPECT_DOUBLE_EQ(info["spacing_x_um"].get<double>(), 3.0);
    EXPECT_GT(info["invalid_points"].get<int>(), 0);  // dropouts and steep walls
    const CommandResult png = run(fmt::format("info {}", (out / "shot-000001.png").string()));
    ASSERT_EQ(png.exit_code, 0) << png.err;
    EXPECT_EQ(nlohmann::json::parse(png.out)["width"], 400);
    std::filesystem::remove_all(out);
}

TEST(Cli, FireBadInputIsOneLineAndWritesNothing) {
    const auto out = scratch("fire-bad");
    const std::string die = die_folder().string();
    expect_one_line_error(run(fmt::format("fire --die {} --firearm ak-47 --ammo standard-small-pistol --rounds 1 --seed 1 --out {}", die, out.string())),
                          "unknown firearm profile 'ak-47'");
    expect_one_line_error(run(fmt::format("fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol --rounds -5 --seed 1 --out {}", die, out.string())),
                          "--rounds must be at least 1");
    expect_one_line_error(run(fmt::format("fire --die /nonexistent --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 --seed 1 --out {}", out.string())),
                          "manifest.json");
    expect_one_line_error(run(fmt::format("fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol --rounds 10 --shots 11 --seed 1 --out {}", die, out.string())),
                          "1..10");
    expect_one_line_error(run(fmt::format("fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 --defeat sand:3 --seed 1 --out {}", die, out.string())),
                          "unknown defeat 'sand'");
    const auto profile = std::filesystem::temp_directory_path() / fmt::format("microstamp-broken-{}.json", ::getpid());
    std::ofstream(profile) << "{\"name\": \"broken\", \"strike_energy_mj\": \"lots\"}";
    expect_one_line_error(run(fmt::format("fire --die {} --firearm {} --ammo standard-small-pistol --rounds 1 --seed 1 --out {}", die, profile.string(), out.string())),
                          "'strike_energy_mj' must be a number");
    std::ofstream(profile, std::ios::trunc) << "{ not json";
    expect_one_line_error(run(fmt::format("fire --die {} --firearm {} --ammo standard-small-pistol --rounds 1 --seed 1 --out {}", die, profile.string(), out.string())),
                          "malformed JSON");
    EXPECT_FALSE(std::filesystem::exists(out));
    std::filesystem::remove(profile);
}

TEST(Cli, ReadAndFuseNameThePistol) {
    const auto out = scratch("read");
    const CommandResult fired = run(fmt::format(
        "fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol --rounds 3 --shots 1-3 --seed 4 --out {}",
        die_folder().string(), out.string()));
    ASSERT_EQ(fired.exit_code, 0) << fired.err;
    const CommandResult read = run(fmt::format("read {}", (out / "shot-000001.x3p").string()));
    ASSERT_EQ(read.exit_code, 0) << read.err;
    const auto reading = nlohmann::json::parse(read.out);
    EXPECT_EQ(reading["status"], "decoded");
    EXPECT_EQ(reading["identity"]["serial"], "58A-104233");
    EXPECT_GT(reading["unused_capacity"].get<int>(), 0);
    const auto overlay = out / "overlay.png";
    const CommandResult drawn = run(fmt::format("read {} --overlay {}", (out / "shot-000002.x3p").string(), overlay.string()));
    ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
    const CommandResult overlay_info = run(fmt::format("info {}", overlay.string()));
    ASSERT_EQ(overlay_info.exit_code, 0) << overlay_info.err;
    EXPECT_EQ(nlohmann::json::parse(overlay_info.out)["width"], 512) << "the impression at the width the page shows it";
    expect_one_line_error(run(fmt::format("read {} {} --overlay {}", (out / "shot-000001.x3p").string(),
                                          (out / "shot-000002.x3p").string(), overlay.string())),
                          "exactly one FILE");
    const CommandResult fused = run(fmt::format("fuse {} {} {}", (out / "shot-000001.x3p").string(),
                                                (out / "shot-000002.x3p").string(), (out / "shot-000003.x3p").string()));
    ASSERT_EQ(fused.exit_code, 0) << fused.err;
    const auto groups = nlohmann::json::parse(fused.out)["groups"];
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0]["casings"].size(), 3u);
    EXPECT_EQ(groups[0]["identity"]["serial"], "58A-104233");
    std::filesystem::remove_all(out);
}

// A pin swapped for another pistol's: the casing's two locations name two pistols.
// `read` says so and names both, `fuse` never groups it, and the evidence store keeps the
// reading with its status and never finds it under either pistol.
TEST(Cli, ASwappedPinReadsLocationsDisagreeThroughReadFuseAndTheStore) {
    const auto dir = scratch("swap");
    std::filesystem::create_directories(dir);
    const auto donor = dir / "donor-die";
    ASSERT_EQ(run(fmt::format("encode --make 'SIG Sauer' --model P320 --serial 77B-500001 --out {}", donor.string())).exit_code, 0);
    const std::string fire = fmt::format("fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol --rounds 20 "
                                         "--seed 5 --breech-face", die_folder().string());
    const CommandResult swapped = run(fmt::format("{} --defeat swap:{} --out {}", fire, donor.string(), (dir / "swapped").string()));
    ASSERT_EQ(swapped.exit_code, 0) << swapped.err;
    ASSERT_EQ(run(fmt::format("{} --out {}", fire, (dir / "own").string())).exit_code, 0);
    const auto pin = [&](const char* run_name) { return (dir / run_name / "shot-000020.x3p").string(); };
    const auto head = [&](const char* run_name) { return (dir / run_name / "shot-000020-breech.x3p").string(); };

    const CommandResult read = run(fmt::format("read {} --breech-face {}", pin("swapped"), head("swapped")));
    ASSERT_EQ(read.exit_code, 0) << read.err;
    const auto reading = nlohmann::json::parse(read.out);
    EXPECT_EQ(reading["status"], "locations_disagree");
    EXPECT_FALSE(reading.contains("identity"));
    EXPECT_EQ(reading["locations"][0]["location"], "firing_pin");
    EXPECT_EQ(reading["locations"][0]["identity"]["serial"], "77B-500001");
    EXPECT_EQ(reading["locations"][1]["location"], "breech_face");
    EXPECT_EQ(reading["locations"][1]["identity"]["serial"], "58A-104233");
    EXPECT_EQ(reading["breech_face_file"], head("swapped"));
    EXPECT_NE(read.err.find("locations_disagree"), std::string::npos) << read.err;

    const CommandResult agreed = run(fmt::format("read {} --breech-face {}", pin("own"), head("own")));
    ASSERT_EQ(agreed.exit_code, 0) << agreed.err;
    const auto both = nlohmann::json::parse(agreed.out);
    EXPECT_EQ(both["status"], "decoded");
    EXPECT_EQ(both["identity"]["serial"], "58A-104233");
    EXPECT_DOUBLE_EQ(both["false_identity_bound"].get<double>(),
                     both["locations"][0]["false_identity_bound"].get<double>() *
                         both["locations"][1]["false_identity_bound"].get<double>());

    const CommandResult fused = run(fmt::format("fuse {} {} --breech-face {} --breech-face {}", pin("swapped"), pin("own"),
                                                head("swapped"), head("own")));
    ASSERT_EQ(fused.exit_code, 0) << fused.err;
    const auto fusion = nlohmann::json::parse(fused.out);
    ASSERT_EQ(fusion["groups"].size(), 1u);
    EXPECT_EQ(fusion["groups"][0]["casings"], nlohmann::json::array({pin("own")}));
    ASSERT_EQ(fusion["not_fused"].size(), 1u);
    EXPECT_EQ(fusion["not_fused"][0]["status"], "locations_disagree");
    EXPECT_EQ(fusion["not_fused"][0]["locations"][0]["identity"]["serial"], "77B-500001");
    expect_one_line_error(run(fmt::format("read {} {} --breech-face {}", pin("swapped"), pin("own"), head("own"))),
                          "one breech face per casing");

    std::ofstream(dir / "reading.json") << read.out;
    const std::string db = fmt::format("--db sqlite:{}", (dir / "lab.db").string());
    ASSERT_EQ(run(fmt::format("case {} --password adminpass1 init --admin root", db)).exit_code, 0);
    ASSERT_EQ(run(fmt::format("case {} --user root --password adminpass1 user-add avery --role examiner --new-password examinerpw1", db)).exit_code, 0);
    const std::string examiner = fmt::format("case {} --user avery --password examinerpw1", db);
    ASSERT_EQ(run(fmt::format("{} open --ori WA0010000 --case 24-300 --offense 5212", examiner)).exit_code, 0);
    const CommandResult added = run(fmt::format("{} add --case 24-300 --item 1 --collected-at 2024-06-01 --place Elm "
                                                "--reading {} --reader-version test {}", examiner, (dir / "reading.json").string(), pin("swapped")));
    ASSERT_EQ(added.exit_code, 0) << added.err;
    const CommandResult shown = run(fmt::format("{} show --case 24-300 --item 1", examiner));
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_NE(shown.out.find("\"status\": \"locations_disagree\""), std::string::npos) << shown.out;
    for (const char* serial : {"58A-104233", "77B-500001"}) {
        const CommandResult found = run(fmt::format("{} search --make 'SIG Sauer' --model P320 --serial {}", examiner, serial));
        ASSERT_EQ(found.exit_code, 0) << found.err;
        EXPECT_EQ(found.out.find("24-300"), std::string::npos) << serial << ": " << found.out;
    }
    std::filesystem::remove_all(dir);
}

TEST(Cli, CaseAddReadsTheScanOnTheWayInAndSearchFindsIt) {
    const auto dir = scratch("case");
    std::filesystem::create_directories(dir);
    const CommandResult fired = run(fmt::format(
        "fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 --seed 6 --out {}",
        die_folder().string(), (dir / "shots").string()));
    ASSERT_EQ(fired.exit_code, 0) << fired.err;
    const std::string db = fmt::format("--db sqlite:{}", (dir / "lab.db").string());
    ASSERT_EQ(run(fmt::format("case {} --password adminpass1 init --admin root", db)).exit_code, 0);
    ASSERT_EQ(run(fmt::format("case {} --user root --password adminpass1 user-add avery --role examiner --new-password examinerpw1", db)).exit_code, 0);
    const std::string examiner = fmt::format("case {} --user avery --password examinerpw1", db);
    ASSERT_EQ(run(fmt::format("{} open --ori WA0010000 --case 24-118 --offense 5212", examiner)).exit_code, 0);
    const CommandResult added = run(fmt::format("{} add --case 24-118 --item 1 --collected-at 2024-05-01T22:10Z --place Pine {}",
                                                examiner, (dir / "shots" / "shot-000001.x3p").string()));
    ASSERT_EQ(added.exit_code, 0) << added.err;
    EXPECT_NE(added.out.find("58A-104233"), std::string::npos);
    const CommandResult found = run(fmt::format("{} search --make 'SIG Sauer' --model P320 --serial 58A-104233", examiner));
    ASSERT_EQ(found.exit_code, 0) << found.err;
    EXPECT_NE(found.out.find("\"item_number\": \"1\""), std::string::npos) << found.out;
    std::filesystem::remove_all(dir);
}

TEST(Cli, ReadBadInputIsOneLine) {
    const auto dir = scratch("read-bad");
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "noise.png", std::ios::binary) << "not an image at all";
    expect_one_line_error(run(fmt::format("read {}", (dir / "noise.png").string())), "noise.png");
    expect_one_line_error(run(fmt::format("read {}", (dir / "missing.x3p").string())), "no such file");
    const CommandResult made = run(fmt::format("fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol --rounds 1 --seed 1 --size 200 --out {}",
                                               die_folder().string(), (dir / "shots").string()));
    ASSERT_EQ(made.exit_code, 0) << made.err;
    expect_one_line_error(run(fmt::format("read {}", (dir / "shots" / "shot-000001.png").string())), "--um-per-px");
    expect_one_line_error(run(fmt::format("read --um-per-px 900 {}", (dir / "shots" / "shot-000001.png").string())),
                          "not a microscope's");
    std::filesystem::remove_all(dir);
}

// A lab that knows the pin's designs reads only those: a text pin's key without a ring
// search, and a design list it cannot parse refused in one line before any file is read.
TEST(Cli, ReadLooksOnlyForTheDesignsGiven) {
    const auto dir = scratch("read-designs");
    std::filesystem::create_directories(dir);
    ASSERT_EQ(run(fmt::format("encode --make 'SIG Sauer' --model P320 --serial 58A-104233 --design text --out {}",
                              (dir / "die").string())).exit_code, 0);
    const CommandResult made = run(fmt::format("fire --die {} --firearm service-9mm-striker --ammo standard-small-pistol "
                                               "--rounds 1 --seed 3 --out {}", (dir / "die").string(), (dir / "shots").string()));
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const std::string scan = (dir / "shots" / "shot-000001.x3p").string();
    const std::string key = nlohmann::json::parse(slurp(dir / "die" / "manifest.json"))["text_key"];
    const CommandResult text_only = run("read --designs text " + scan);
    ASSERT_EQ(text_only.exit_code, 0) << text_only.err;
    const auto reading = nlohmann::json::parse(text_only.out);
    ASSERT_EQ(reading["designs"].size(), 1u);
    EXPECT_EQ(reading["designs"][0]["design"], "text");
    EXPECT_EQ(reading["designs"][0]["code"], key);
    EXPECT_EQ(reading["decode_attempts"], 0);  // no ring decoded, none tried
    const CommandResult everything = run("read " + scan);
    ASSERT_EQ(everything.exit_code, 0) << everything.err;
    EXPECT_GT(nlohmann::json::parse(everything.out)["decode_attempts"].get<int>(), 0);  // the default looks for a ring first
    expect_one_line_error(run("read --designs text+barcode " + scan), "unknown design 'barcode'");
    std::filesystem::remove_all(dir);
}

TEST(Cli, UsageErrorsExitNonZero) {
    EXPECT_NE(run("encode --make Glock").exit_code, 0);
    EXPECT_NE(run("frobnicate").exit_code, 0);
    EXPECT_EQ(run("--help").exit_code, 0);
}

} // namespace
