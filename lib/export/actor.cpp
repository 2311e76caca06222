#include "export/actor.hpp"

#include <pwd.h>
#include <unistd.h>

namespace carekeep::exports {

Actor Actor::current() {
  uid_t uid = ::getuid();
  std::string name = std::to_string(uid);
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr && pw->pw_name != nullptr) name = pw->pw_name;
  return {static_cast<std::int64_t>(uid), name};
}

Result<index::AccessLogRow> record_access(index::Index& index, const Actor& actor, std::string_view action,
                                          std::string_view arguments_json, std::string_view result) {
  index::NewAccessEntry entry;
  entry.time = SystemClock{}.now();
  entry.uid = actor.uid;
  entry.user = actor.user;
  entry.action = std::string(action);
  entry.arguments = std::string(arguments_json);
  entry.result = std::string(result);
  return index.append_access_log(entry);
}

}  // namespace carekeep::exports
