// fakecam/gst: the one small wrapper over GStreamer/GLib that fakecam uses: owning pointers
// for refcounted GStreamer and GLib types, a one-time gst_init, and the plugin check whose
// error names the Debian package to install. Internal to fakecam (server.hpp stays free of
// GStreamer headers). Thread-safe; never blocks.
#pragma once

#include <gst/gst.h>

#include <vector>
#include <memory>
#include <string>

#include "base/error.hpp"

namespace carekeep::fakecam::gst {

struct ObjectUnref {
  void operator()(gpointer p) const noexcept {
    if (p != nullptr) gst_object_unref(p);
  }
};
// GstObject subclasses: elements, pads, buses.
template <class T>
using Object = std::unique_ptr<T, ObjectUnref>;

struct GObjectUnref {
  void operator()(gpointer p) const noexcept {
    if (p != nullptr) g_object_unref(p);
  }
};
// Plain GObjects: the RTSP server, mount points, media factories, medias.
template <class T>
using GObject = std::unique_ptr<T, GObjectUnref>;

struct MiniObjectUnref {
  void operator()(gpointer p) const noexcept {
    if (p != nullptr) gst_mini_object_unref(GST_MINI_OBJECT_CAST(p));
  }
};
using Buffer = std::unique_ptr<GstBuffer, MiniObjectUnref>;
using Caps = std::unique_ptr<GstCaps, MiniObjectUnref>;
using Sample = std::unique_ptr<GstSample, MiniObjectUnref>;
using Message = std::unique_ptr<GstMessage, MiniObjectUnref>;
using Memory = std::unique_ptr<GstMemory, MiniObjectUnref>;

struct GFree {
  void operator()(gpointer p) const noexcept { g_free(p); }
};
using String = std::unique_ptr<gchar, GFree>;

struct ErrorFree {
  void operator()(GError* e) const noexcept {
    if (e != nullptr) g_error_free(e);
  }
};
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;

// gst_init_check, once per process.
Status init();

// An element fakecam needs and the Debian package that ships it.
struct Requirement {
  const char* element;
  const char* package;
};
// FailedPrecondition naming every missing element and its package.
Status require(const std::vector<Requirement>& requirements);

// Creates an element or fails naming the package (for elements require() did not cover).
Result<GstElement*> make(const char* factory, const char* name, const char* package);

// The text of an ERROR/WARNING message: "element: message (debug)".
std::string describe(GstMessage* message);

}  // namespace carekeep::fakecam::gst
