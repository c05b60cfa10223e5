// PgConnection, PgRows and PgParams over libpq; see pg_connection.h.
#include "store/pg_connection.h"

#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "log/log.h"

namespace mayday::server::store_internal {
namespace {

// Where a status keeps the SQLSTATE it came with, and the constraint.
constexpr absl::string_view kSqlStateUrl = "type.mayday.dev/postgresql.sqlstate";
constexpr absl::string_view kConstraintUrl = "type.mayday.dev/postgresql.constraint";

// Type OIDs (pg_type.oid) of the columns PgRows reads.
constexpr Oid kBool = 16;
constexpr Oid kBytea = 17;
constexpr Oid kName = 19;
constexpr Oid kInt8 = 20;
constexpr Oid kInt2 = 21;
constexpr Oid kInt4 = 23;
constexpr Oid kText = 25;
constexpr Oid kBpchar = 1042;
constexpr Oid kVarchar = 1043;

// libpq's messages end in a newline.
std::string Trimmed(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

// PostgreSQL's notices (a warning, or a backend's last words when it is
// ended while idle) go to maydayd's log, not raw to stderr.
void LogNotice(void* /*unused*/, const char* message) {
  LogWarning("postgres_notice", "PostgreSQL says: %s", Trimmed(message).c_str());
}

absl::StatusCode CodeFor(absl::string_view state) {
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (absl::StartsWith(state, "23")) return absl::StatusCode::kFailedPrecondition;
  if (absl::StartsWith(state, "22")) return absl::StatusCode::kInvalidArgument;
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;  // statement timeout
  if (state == "XX001" || state == "XX002") return absl::StatusCode::kDataLoss;
  // The connection, shutdown, resources (disk full, too many connections),
  // I/O, and a read-only transaction: on a standby, since the primary moved.
  if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P") ||
      absl::StartsWith(state, "53") || absl::StartsWith(state, "58") || state == "25006") {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

absl::Status WithState(absl::StatusCode code, absl::string_view message, absl::string_view state) {
  absl::Status status(code, message);
  if (!state.empty()) status.SetPayload(kSqlStateUrl, absl::Cord(state));
  return status;
}

}  // namespace

void PgParams::SetText(int i, absl::string_view value) {
  // In the text format, which the server reads as whatever type the
  // parameter has (text into a bigint column, as SQLite would take it).
  // That format ends at a NUL: Query refuses one rather than send less.
  values_[static_cast<size_t>(i)] = {std::string(value), false};
}

void PgParams::SetBytes(int i, absl::string_view value) {
  values_[static_cast<size_t>(i)] = {std::string(value), true};
}

void PgParams::SetInt64(int i, int64_t value) {
  // As text, so that it fits an integer or bigint column alike.
  values_[static_cast<size_t>(i)] = {absl::StrCat(value), false};
}

void PgParams::SetNull(int i) { values_[static_cast<size_t>(i)] = {std::nullopt, false}; }

PgParams& PgParams::Text(absl::string_view value) {
  values_.emplace_back();
  SetText(size() - 1, value);
  return *this;
}

PgParams& PgParams::Bytes(absl::string_view value) {
  values_.emplace_back();
  SetBytes(size() - 1, value);
  return *this;
}

PgParams& PgParams::Int64(int64_t value) {
  values_.emplace_back();
  SetInt64(size() - 1, value);
  return *this;
}

PgParams& PgParams::Null() {
  values_.emplace_back();
  return *this;
}

PgRows::PgRows(PgRows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

PgRows& PgRows::operator=(PgRows&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgRows::~PgRows() {
  if (result_ != nullptr) PQclear(result_);
}

int PgRows::size() const { return PQntuples(result_); }

int PgRows::columns() const { return PQnfields(result_); }

int64_t PgRows::affected() const {
  int64_t n = 0;  // "" for statements that change no rows
  return absl::SimpleAtoi(PQcmdTuples(result_), &n) ? n : 0;
}

bool PgRows::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

absl::StatusOr<int64_t> PgRows::Int64(int row, int column) const {
  const char* value = PQgetvalue(result_, row, column);
  const int length = PQgetlength(result_, row, column);
  const Oid type = PQftype(result_, column);
  const bool text_format = PQfformat(result_, column) == 0;
  if (text_format) {
    // Exec's rows: the text format.
    if (type == kBool) return *value == 't' ? 1 : 0;
    int64_t n = 0;
    if (absl::SimpleAtoi(value, &n)) return n;
  } else {
    if (type == kInt8 && length == 8) {
      uint64_t big;
      std::memcpy(&big, value, 8);
      return static_cast<int64_t>(be64toh(big));
    }
    if (type == kInt4 && length == 4) {
      uint32_t big;
      std::memcpy(&big, value, 4);
      return static_cast<int32_t>(be32toh(big));
    }
    if (type == kInt2 && length == 2) {
      uint16_t big;
      std::memcpy(&big, value, 2);
      return static_cast<int16_t>(be16toh(big));
    }
    if (type == kBool && length == 1) return *value != 0 ? 1 : 0;
  }
  return absl::DataLossError(absl::StrCat("column \"", PQfname(result_, column), "\" has type ",
                                          type, ", not an integer"));
}

absl::StatusOr<absl::string_view> PgRows::Text(int row, int column) const {
  const Oid type = PQftype(result_, column);
  if (type != kText && type != kVarchar && type != kBpchar && type != kBytea && type != kName) {
    return absl::DataLossError(absl::StrCat("column \"", PQfname(result_, column), "\" has type ",
                                            type, ", not text or bytes"));
  }
  return absl::string_view(PQgetvalue(result_, row, column),
                           static_cast<size_t>(PQgetlength(result_, row, column)));
}

std::string PgSqlState(const absl::Status& status) {
  absl::optional<absl::Cord> state = status.GetPayload(kSqlStateUrl);
  return state.has_value() ? std::string(*state) : std::string();
}

std::string PgConstraint(const absl::Status& status) {
  absl::optional<absl::Cord> constraint = status.GetPayload(kConstraintUrl);
  return constraint.has_value() ? std::string(*constraint) : std::string();
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& conninfo,
                                                                    absl::Duration timeout) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string why = parse_error != nullptr ? Trimmed(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(
        absl::StrCat("the PostgreSQL connection string does not parse: ", why));
  }
  PQconninfoFree(parsed);
  // Ours first: the caller's string may set either, and then wins.
  const std::string seconds = absl::StrCat(
      std::max<int64_t>(2, absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1)))));
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {seconds.c_str(), "maydayd", conninfo.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("out of memory for a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", why));
  }
  PQsetNoticeProcessor(conn, LogNotice, nullptr);
  std::unique_ptr<PgConnection> connection(new PgConnection(conn));
  absl::StatusOr<PgRows> setup = connection->Exec(
      "SET synchronous_commit = on; SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'; "
      // Notices ("already exists, skipping") would go to stderr.
      "SET client_min_messages = warning");
  if (!setup.ok()) return setup.status();
  return connection;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

bool PgConnection::StillOpen() {
  if (!healthy()) return false;
  const int fd = PQsocket(conn_);
  if (fd < 0) return false;
  // Something to read on an idle connection: the server's last words, then
  // the end of the stream (each may take a read), or a notification.
  // PQconsumeInput takes what is there; at the end it marks the connection
  // bad.
  for (int reads = 0; reads < 4 && healthy(); ++reads) {
    pollfd readable{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&readable, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0) break;
    (void)PQisBusy(conn_);  // parses it: an idle backend's FATAL goes to LogNotice
  }
  return healthy();
}

bool PgConnection::in_transaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

bool PgConnection::transaction_failed() const {
  return PQtransactionStatus(conn_) == PQTRANS_INERROR;
}

absl::StatusOr<std::vector<PgConnection::Notice>> PgConnection::AwaitNotices(
    absl::Duration timeout) {
  std::vector<Notice> notices;
  const auto take = [&] {
    while (PGnotify* notify = PQnotifies(conn_)) {
      notices.push_back({notify->relname, notify->extra != nullptr ? notify->extra : ""});
      PQfreemem(notify);
    }
  };
  const auto broke = [&] {
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL: the connection broke: ", Trimmed(PQerrorMessage(conn_))));
  };
  take();  // some may have come with the last statement's answer
  if (!notices.empty()) return notices;
  const int fd = PQsocket(conn_);
  if (fd < 0 || !healthy()) return broke();
  pollfd wait{.fd = fd, .events = POLLIN, .revents = 0};
  const int ms = static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(timeout)));
  if (::poll(&wait, 1, ms) < 0 && errno != EINTR) return broke();
  if (wait.revents != 0 && PQconsumeInput(conn_) == 0) return broke();
  take();
  return notices;
}

int PgConnection::server_version() const { return PQserverVersion(conn_); }

std::string PgConnection::Describe() const {
  return absl::StrCat(PQdb(conn_), " on ", PQhost(conn_), ":", PQport(conn_));
}

absl::StatusOr<PgRows> PgConnection::Take(pg_result* result) {
  PgRows rows(result);
  if (result == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL did not answer: ", Trimmed(PQerrorMessage(conn_))));
  }
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary != nullptr ? std::string(primary) : Trimmed(PQerrorMessage(conn_));
  if (state == nullptr) {
    // No SQLSTATE: libpq itself failed, most often the connection.
    return absl::UnavailableError(absl::StrCat("PostgreSQL: ", message));
  }
  absl::Status error = WithState(
      CodeFor(state), absl::StrCat("PostgreSQL: ", message, " (SQLSTATE ", state, ")"), state);
  if (const char* constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
      constraint != nullptr) {
    error.SetPayload(kConstraintUrl, absl::Cord(constraint));
  }
  return error;
}

absl::StatusOr<PgRows> PgConnection::Exec(absl::string_view sql) {
  return Take(PQexec(conn_, std::string(sql).c_str()));
}

absl::StatusOr<PgRows> PgConnection::Query(absl::string_view sql, const PgParams& params) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = absl::StrCat("mayday_", prepared_.size() + 1);
    absl::StatusOr<PgRows> prepared =
        Take(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), params.size(), nullptr));
    if (!prepared.ok()) return prepared.status();
    found = prepared_.emplace(std::string(sql), std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  values.reserve(params.values_.size());
  lengths.reserve(params.values_.size());
  formats.reserve(params.values_.size());
  for (const PgParams::Value& value : params.values_) {
    if (!value.binary && value.bytes.has_value() && value.bytes->find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter $", values.size() + 1,
          " holds a NUL character, which PostgreSQL's text cannot hold; nothing was run"));
    }
    values.push_back(value.bytes.has_value() ? value.bytes->data() : nullptr);
    lengths.push_back(value.bytes.has_value() ? static_cast<int>(value.bytes->size()) : 0);
    formats.push_back(value.binary ? 1 : 0);
  }
  return Take(PQexecPrepared(conn_, found->second.c_str(), params.size(), values.data(),
                             lengths.data(), formats.data(), /*resultFormat=*/1));
}

}  // namespace mayday::server::store_internal
