#include "fakecam/clip.hpp"

#include <gst/app/gstappsink.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>

#include "base/log.hpp"

namespace carekeep::fakecam {
namespace {

constexpr auto kLoadTimeout = 120 * GST_SECOND;

// State shared between the loading thread and GStreamer's streaming thread.
struct Loader {
  GstElement* pipeline = nullptr;  // borrowed from load_clip
  std::mutex mutex;
  bool have_video = false;
  Codec codec = Codec::H264;
  gst::Caps caps;
  std::vector<gst::Buffer> frames;
};

GstFlowReturn on_sample(GstAppSink* sink, gpointer data) noexcept {
  auto* loader = static_cast<Loader*>(data);
  gst::Sample sample{gst_app_sink_pull_sample(sink)};
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buffer = gst_sample_get_buffer(sample.get());
  std::lock_guard lock(loader->mutex);
  if (!loader->caps) {
    if (GstCaps* caps = gst_sample_get_caps(sample.get())) loader->caps.reset(gst_caps_ref(caps));
  }
  if (buffer != nullptr) loader->frames.emplace_back(gst_buffer_ref(buffer));
  return GST_FLOW_OK;
}

// parsebin exposes one pad per elementary stream. The first H.264/H.265 video stream goes
// through a second parser that converts to Annex B access units with parameter sets at every
// key frame (parsebin's own parser does not negotiate with downstream); anything else (audio,
// a second video) goes to a fakesink so the demuxer never stops on not-linked.
void on_pad_added(GstElement* /*parsebin*/, GstPad* pad, gpointer data) noexcept {
  auto* loader = static_cast<Loader*>(data);
  gst::Caps caps{gst_pad_get_current_caps(pad)};
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const char* name = (caps && gst_caps_get_size(caps.get()) > 0)
                         ? gst_structure_get_name(gst_caps_get_structure(caps.get(), 0))
                         : "";
  std::string media = name;
  bool video = media == "video/x-h264" || media == "video/x-h265";
  {
    std::lock_guard lock(loader->mutex);
    if (video && loader->have_video) video = false;
    if (video) {
      loader->have_video = true;
      loader->codec = media == "video/x-h264" ? Codec::H264 : Codec::H265;
    }
  }
  GstBin* bin = GST_BIN(loader->pipeline);
  if (!video) {
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    if (sink == nullptr) return;
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(bin, sink);
    gst_element_sync_state_with_parent(sink);
    gst::Object<GstPad> sinkpad{gst_element_get_static_pad(sink, "sink")};
    gst_pad_link(pad, sinkpad.get());
    return;
  }
  const bool h264 = media == "video/x-h264";
  GstElement* parser = gst_element_factory_make(h264 ? "h264parse" : "h265parse", nullptr);
  GstElement* filter = gst_element_factory_make("capsfilter", nullptr);
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  if (parser == nullptr || filter == nullptr || sink == nullptr) {
    // require() checked these; a failure here is a broken installation. The bus reports
    // not-linked and load_clip fails with that error.
    for (GstElement* e : {parser, filter, sink}) {
      if (e != nullptr) gst_object_unref(gst_object_ref_sink(e));
    }
    return;
  }
  g_object_set(parser, "config-interval", -1, nullptr);
  gst::Caps want{gst_caps_from_string(h264 ? "video/x-h264,stream-format=byte-stream,alignment=au"
                                           : "video/x-h265,stream-format=byte-stream,alignment=au")};
  g_object_set(filter, "caps", want.get(), nullptr);
  g_object_set(sink, "sync", FALSE, "enable-last-sample", FALSE, nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = on_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, loader, nullptr);
  gst_bin_add_many(bin, parser, filter, sink, nullptr);
  gst_element_link_many(parser, filter, sink, nullptr);
  for (GstElement* e : {sink, filter, parser}) gst_element_sync_state_with_parent(e);
  gst::Object<GstPad> sinkpad{gst_element_get_static_pad(parser, "sink")};
  gst_pad_link(pad, sinkpad.get());
}

}  // namespace

Result<std::shared_ptr<const Clip>> load_clip(const std::filesystem::path& path) {
  const std::string where = "clip " + path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(ErrorKind::InvalidArgument, where + ": no such file");
  }
  if (auto st = gst::init(); !st) return tl::unexpected(st.error());
  if (auto st = gst::require({{"filesrc", "libgstreamer1.0-0"},
                              {"parsebin", "gstreamer1.0-plugins-base"},
                              {"appsink", "gstreamer1.0-plugins-base"},
                              {"qtdemux", "gstreamer1.0-plugins-good"},
                              {"matroskademux", "gstreamer1.0-plugins-good"},
                              {"h264parse", "gstreamer1.0-plugins-bad"},
                              {"h265parse", "gstreamer1.0-plugins-bad"}});
      !st) {
    return tl::unexpected(st.error());
  }

  gst::Object<GstElement> pipeline{gst_pipeline_new("fakecam-clip")};
  GstElement* src = gst_element_factory_make("filesrc", nullptr);
  GstElement* parse = gst_element_factory_make("parsebin", nullptr);
  if (src == nullptr || parse == nullptr) {
    return fail(ErrorKind::FailedPrecondition, where + ": cannot create filesrc/parsebin");
  }
  g_object_set(src, "location", path.c_str(), nullptr);
  gst_bin_add_many(GST_BIN(pipeline.get()), src, parse, nullptr);
  gst_element_link(src, parse);
  Loader loader;
  loader.pipeline = pipeline.get();
  g_signal_connect(parse, "pad-added", G_CALLBACK(on_pad_added), &loader);

  std::string failure;
  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    failure = "cannot start the demuxer";
  } else {
    gst::Object<GstBus> bus{gst_element_get_bus(pipeline.get())};
    gst::Message message{gst_bus_timed_pop_filtered(
        bus.get(), kLoadTimeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR))};
    if (!message) {
      failure = "timed out reading the file";
    } else if (GST_MESSAGE_TYPE(message.get()) == GST_MESSAGE_ERROR) {
      failure = gst::describe(message.get());
    }
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  // Streaming threads are gone after the NULL transition; `loader` is ours alone again.
  if (!failure.empty()) return fail(ErrorKind::InvalidArgument, where + ": " + failure);
  if (!loader.have_video || loader.frames.empty()) {
    return fail(ErrorKind::InvalidArgument, where + ": no H.264 or H.265 video stream");
  }

  auto clip = std::make_shared<Clip>();
  clip->codec = loader.codec;
  int fps_n = 0;
  int fps_d = 1;
  if (loader.caps) {
    const GstStructure* s = gst_caps_get_structure(loader.caps.get(), 0);
    gst_structure_get_int(s, "width", &clip->width);
    gst_structure_get_int(s, "height", &clip->height);
    gst_structure_get_fraction(s, "framerate", &fps_n, &fps_d);
  }

  auto is_key = [](const gst::Buffer& b) { return !GST_BUFFER_FLAG_IS_SET(b.get(), GST_BUFFER_FLAG_DELTA_UNIT); };
  auto first_key = std::find_if(loader.frames.begin(), loader.frames.end(), is_key);
  if (first_key == loader.frames.end()) {
    return fail(ErrorKind::InvalidArgument, where + ": no key frame");
  }
  if (first_key != loader.frames.begin()) {
    log::warn("fakecam_clip_leading_frames_dropped",
              {{"clip", path.string()},
               {"frames", std::to_string(first_key - loader.frames.begin())}});
  }
  clip->frames.assign(std::make_move_iterator(first_key), std::make_move_iterator(loader.frames.end()));

  // Frames are replayed one per tick in decode order, which is only right when decode order
  // is presentation order: no B-frames.
  GstClockTime previous = GST_CLOCK_TIME_NONE;
  std::vector<GstClockTime> deltas;
  for (std::size_t i = 0; i < clip->frames.size(); ++i) {
    GstBuffer* b = clip->frames[i].get();
    if (is_key(clip->frames[i])) clip->keyframes.push_back(i);
    GstClockTime pts = GST_BUFFER_PTS(b);
    if (!GST_CLOCK_TIME_IS_VALID(pts)) continue;
    if (GST_CLOCK_TIME_IS_VALID(previous)) {
      if (pts <= previous) {
        return fail(ErrorKind::InvalidArgument,
                    where + ": frames are out of presentation order (B-frames?); "
                            "re-encode it with tools/fakecam/make-clip.sh");
      }
      deltas.push_back(pts - previous);
    }
    previous = pts;
  }

  if (fps_n > 0 && fps_d > 0) {
    clip->fps = std::max(1, static_cast<int>(std::lround(static_cast<double>(fps_n) / fps_d)));
  } else if (!deltas.empty()) {
    std::nth_element(deltas.begin(), deltas.begin() + static_cast<std::ptrdiff_t>(deltas.size() / 2), deltas.end());
    const double median = static_cast<double>(deltas[deltas.size() / 2]);
    clip->fps = std::max(1, static_cast<int>(std::lround(static_cast<double>(GST_SECOND) / median)));
  }

  // The loop point joins the last frame to the first key frame. When the clip is not a whole
  // number of GOPs the GOP across the loop is shorter or longer than the rest: harmless for
  // decoders, but recorders cutting segments on key frames will see it, so say so.
  if (clip->keyframes.size() >= 2) {
    const std::size_t gop = clip->keyframes[1] - clip->keyframes[0];
    const std::size_t tail = clip->frames.size() - clip->keyframes.back();
    if (tail != gop) {
      log::warn("fakecam_clip_partial_gop", {{"clip", path.string()},
                                             {"gop_frames", std::to_string(gop)},
                                             {"last_gop_frames", std::to_string(tail)}});
    }
  }
  log::info("fakecam_clip_loaded", {{"clip", path.string()},
                                    {"codec", std::string(to_string(clip->codec))},
                                    {"size", std::to_string(clip->width) + "x" + std::to_string(clip->height)},
                                    {"fps", std::to_string(clip->fps)},
                                    {"frames", std::to_string(clip->frames.size())},
                                    {"key_frames", std::to_string(clip->keyframes.size())}});
  return std::shared_ptr<const Clip>(std::move(clip));
}

}  // namespace carekeep::fakecam
