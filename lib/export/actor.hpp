// export/actor: who is acting (uid and user name) and the access-log append every audited
// command makes. Blocking (passwd lookup, one short SQLite transaction); any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "index/index.hpp"

namespace carekeep::exports {

struct Actor {
  std::int64_t uid = 0;
  std::string user;
  static Actor current();  // the real uid of this process and its passwd name (or the number)
};

// Appends {now, actor, action, arguments (a JSON object), result} to the access log.
Result<index::AccessLogRow> record_access(index::Index& index, const Actor& actor, std::string_view action,
                                          std::string_view arguments_json, std::string_view result);

}  // namespace carekeep::exports
