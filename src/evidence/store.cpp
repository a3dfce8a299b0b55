// The store opened or created: schema, signing key, first administrator.

#include "evidence/store_state.hpp"

#include <fmt/core.h>
#include <sodium.h>

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace microstamp {

namespace {

// ---- key files ------------------------------------------------------------------------

constexpr std::string_view key_file_header = "microstamp ed25519 audit signing key v1";

void write_key_file(const std::filesystem::path& path, const SigningKey& key) {
    const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (descriptor < 0)
        throw StoreError(path.string() + ": cannot create the signing key file (it must not exist yet)");
    const std::string text = std::string(key_file_header) + "\n" + hex(key.secret_key) + "\n";
    const bool written = ::write(descriptor, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                         ::fsync(descriptor) == 0;
    ::close(descriptor);
    if (!written) throw StoreError(path.string() + ": cannot write the signing key file");
}

} // namespace

SigningKey read_key_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::string header, secret;
    if (!std::getline(file, header) || header != key_file_header || !std::getline(file, secret))
        throw StoreError(path.string() + ": not a microstamp signing key file");
    SigningKey key;
    try {
        key.secret_key = bytes_from_hex(secret, "signing key");
    } catch (const InputError&) {
        throw StoreError(path.string() + ": the signing key is damaged");
    }
    if (key.secret_key.size() != crypto_sign_SECRETKEYBYTES) throw StoreError(path.string() + ": the signing key is damaged");
    key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    crypto_sign_ed25519_sk_to_pk(key.public_key.data(), key.secret_key.data());
    return key;
}

std::filesystem::path key_file_for(const StoreLocation& location, const StoreOptions& options) {
    if (!options.signing_key_file.empty()) return options.signing_key_file;
    if (const char* from_environment = std::getenv("MICROSTAMP_SIGNING_KEY_FILE"); from_environment && *from_environment)
        return from_environment;
    if (location.backend == Backend::sqlite) return location.target + ".signing-key";
    return {};
}

Store::Store(std::unique_ptr<State> state) : state_(std::move(state)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

namespace {

std::unique_ptr<database::Database> connect(const StoreLocation& location, bool create, const StoreOptions& options) {
    if (location.backend == Backend::sqlite) return database::open_sqlite(location.target, create, options.durability);
    return database::open_postgresql(location.target, location.display, options.durability);
}

} // namespace

Store Store::create(const std::string& url, const std::string& admin_name, const std::string& admin_password,
                    StoreOptions options) {
    if (sodium_init() < 0) throw StoreError("libsodium could not initialise");
    require_user_name(admin_name);
    auto state = std::make_unique<State>();
    state->location = parse_store_url(url);
    state->options = std::move(options);
    const std::filesystem::path key_file = key_file_for(state->location, state->options);
    if (key_file.empty())
        throw InputError("a PostgreSQL store keeps its audit signing key in a file: give --signing-key FILE or set "
                         "MICROSTAMP_SIGNING_KEY_FILE");
    const std::string password_hash = hash_password(admin_password, state->options.password_cost);
    if (state->location.backend == Backend::sqlite && std::filesystem::exists(state->location.target))
        throw StoreError(state->location.display + " already exists: open it instead, or choose another path");
    state->database = connect(state->location, true, state->options);
    int existing = 0;
    state->database->transact(TransactionMode::read,
                              [&](Transaction& transaction) { existing = state->read_schema_version(transaction); });
    if (existing != 0) throw StoreError(state->location.display + " already holds a store");
    const SigningKey key = generate_signing_key();
    write_key_file(key_file, key);
    try {
        state->migrate();
        state->database->transact(TransactionMode::write, [&](Transaction& transaction) {
            Head head = state->lock_head(transaction);
            transaction.query("INSERT INTO store_meta (name, value) VALUES ('audit_public_key', $1)", {hex(key.public_key)});
            transaction.query("INSERT INTO users (name, role, password_hash, created_at, created_by) "
                              "VALUES ($1, 'admin', $2, $3, 'system')",
                              {admin_name, password_hash, state->now()});
            state->append_audit(transaction, head, "system", "-", "user.add", "user " + admin_name, "success",
                                "first administrator, store created");
        });
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(key_file, ignored);
        throw;
    }
    state->load_keys();
    return Store(std::move(state));
}

Store Store::open(const std::string& url, StoreOptions options) {
    if (sodium_init() < 0) throw StoreError("libsodium could not initialise");
    auto state = std::make_unique<State>();
    state->location = parse_store_url(url);
    state->options = std::move(options);
    state->database = connect(state->location, false, state->options);
    int found = 0;
    state->database->transact(TransactionMode::read,
                              [&](Transaction& transaction) { found = state->read_schema_version(transaction); });
    if (found == 0) throw StoreError("no store at " + state->location.display + ": create one with `microstamp case init`");
    state->migrate();
    state->load_keys();
    return Store(std::move(state));
}

int Store::schema_version() const { return state_->version; }
database::Backend Store::backend() const { return state_->backend(); }
std::vector<std::uint8_t> Store::public_key() const { return state_->public_key; }
bool Store::can_sign() const { return state_->signing_key.has_value(); }

} // namespace microstamp
