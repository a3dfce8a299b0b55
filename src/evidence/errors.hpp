#pragma once
// The errors of the evidence stage. Each message is one line a user can act on;
// the command line prints it as it is.

#include <stdexcept>

namespace microstamp {

// The store cannot be reached, opened, upgraded or written.
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A row the caller wanted to add collides with one already stored (a duplicate key).
struct ConflictError : StoreError {
    using StoreError::StoreError;
};

// The acting user's role does not allow the operation. The refusal is in the audit log.
struct AccessError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A logon failed: wrong name or password, or the account is locked. Audited too.
struct LogonError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace microstamp
