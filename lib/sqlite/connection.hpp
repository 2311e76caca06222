// sqlite/connection: an open database (RAII), its statement cache, and Transaction.
// A Connection belongs to one thread at a time (the daemon's loop thread for the writer,
// the CLI's main thread for readers); nothing here locks. Calls block on disk I/O, and
// writers wait up to busy_timeout (5 s) for another writer's lock before failing Unavailable.
// It knows nothing about carekeep's schema: that is lib/index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "sqlite/statement.hpp"

struct sqlite3;

namespace carekeep::sqlite {

class CachedStatement;

class Connection {
 public:
  // Opens or creates `path` for writing with journal_mode=wal, synchronous=full,
  // foreign_keys=on and busy_timeout=5000 ms. Fails FailedPrecondition if WAL is refused.
  static Result<Connection> open_writer(const std::filesystem::path& path);
  // Opens an existing `path` read-only (foreign_keys=on, busy_timeout=5000 ms). A missing
  // file is NotFound with a message that names the next step.
  static Result<Connection> open_reader(const std::filesystem::path& path);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Prepares one statement; `sql` must hold exactly one (trailing whitespace is fine).
  Result<Statement> prepare(std::string_view sql);
  // Prepares `sql` once per connection and lends the statement out; the borrow resets it
  // and clears its bindings when it ends. A statement can be lent to one borrower at a
  // time: borrowing it again before the first borrow ends is an Internal error.
  Result<CachedStatement> cached(std::string_view sql);
  // Runs a script of any number of statements without parameters (migrations, pragmas).
  Status exec(std::string_view script);

  // Convenience for single-value queries such as "pragma user_version".
  Result<std::int64_t> query_int64(std::string_view sql);
  Result<std::string> query_text(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  std::int64_t changes() const;  // rows changed by the last insert/update/delete
  bool in_transaction() const;
  const std::filesystem::path& path() const { return path_; }

  // The raw handle, for sqlite::to_error and the few calls this wrapper does not cover.
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* db) const noexcept;
  };
  struct CacheEntry {
    Statement statement;
    bool lent = false;
  };
  Connection(sqlite3* db, std::filesystem::path path);
  static Result<Connection> open(const std::filesystem::path& path, int flags, bool writer);
  Error error(int rc, std::string_view what) const;

  // Declared before the cache so that it is destroyed after it: every statement must be
  // finalized before the database closes.
  std::unique_ptr<sqlite3, Close> db_;
  std::filesystem::path path_;
  // Node-based, so a lent Statement& stays valid while other entries are added and when the
  // Connection is moved. std::less<> allows lookup by string_view without a copy.
  std::map<std::string, CacheEntry, std::less<>> cache_;

  friend class CachedStatement;
};

// A statement borrowed from Connection::cached(); use it like a pointer.
class CachedStatement {
 public:
  CachedStatement(CachedStatement&& other) noexcept;
  CachedStatement& operator=(CachedStatement&&) = delete;
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  ~CachedStatement();

  Statement* operator->() const { return &entry_->statement; }
  Statement& operator*() const { return entry_->statement; }

 private:
  friend class Connection;
  explicit CachedStatement(Connection::CacheEntry& entry) : entry_(&entry) { entry.lent = true; }
  Connection::CacheEntry* entry_;
};

// BEGIN IMMEDIATE on construction: the write lock is taken up front, so a busy database
// fails here (after busy_timeout) rather than half-way through the work. Rolls back in the
// destructor unless commit() succeeded. Not nestable (SQLite has no nested BEGIN).
class Transaction {
 public:
  static Result<Transaction> begin(Connection& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // With synchronous=full this is where the WAL is fsynced: it blocks for one disk flush.
  Status commit();

 private:
  explicit Transaction(Connection& db) : db_(&db) {}
  Connection* db_;  // null once committed or moved from
};

}  // namespace carekeep::sqlite
