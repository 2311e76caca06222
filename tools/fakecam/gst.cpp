#include "fakecam/gst.hpp"

#include <mutex>

namespace carekeep::fakecam::gst {

Status init() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    GError* raw = nullptr;
    if (!gst_init_check(nullptr, nullptr, &raw)) {
      ErrorPtr error{raw};
      failure = std::string("initialising GStreamer: ") + (error ? error->message : "unknown error");
    }
  });
  if (!failure.empty()) return fail(ErrorKind::FailedPrecondition, failure);
  return ok();
}

Status require(const std::vector<Requirement>& requirements) {
  std::string missing;
  for (const auto& r : requirements) {
    GstElementFactory* factory = gst_element_factory_find(r.element);
    if (factory != nullptr) {
      gst_object_unref(factory);
      continue;
    }
    if (!missing.empty()) missing += ", ";
    missing += std::string(r.element) + " (apt install " + r.package + ")";
  }
  if (missing.empty()) return ok();
  return fail(ErrorKind::FailedPrecondition,
              "missing GStreamer elements: " + missing + "; tools/install-deps.sh installs them");
}

Result<GstElement*> make(const char* factory, const char* name, const char* package) {
  GstElement* element = gst_element_factory_make(factory, name);
  if (element == nullptr) {
    return fail(ErrorKind::FailedPrecondition, std::string("missing GStreamer element ") + factory +
                                                   " (apt install " + package + ")");
  }
  return element;
}

std::string describe(GstMessage* message) {
  GError* raw = nullptr;
  gchar* debug_raw = nullptr;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error(message, &raw, &debug_raw);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
    gst_message_parse_warning(message, &raw, &debug_raw);
  } else {
    return GST_MESSAGE_TYPE_NAME(message);
  }
  ErrorPtr error{raw};
  String debug{debug_raw};
  std::string text = GST_MESSAGE_SRC_NAME(message) != nullptr ? GST_MESSAGE_SRC_NAME(message) : "?";
  text += ": ";
  text += error ? error->message : "unknown error";
  if (debug) text += std::string(" (") + debug.get() + ")";
  return text;
}

}  // namespace carekeep::fakecam::gst
