#include "fakecam/server.hpp"

#include <gst/rtsp-server/rtsp-server.h>

#include <functional>
#include <future>
#include <set>
#include <thread>

#include "base/log.hpp"
#include "fakecam/camera.hpp"
#include "fakecam/clip.hpp"
#include "fakecam/encoder.hpp"
#include "fakecam/gst.hpp"

namespace carekeep::fakecam {
namespace {

struct ContextUnref {
  void operator()(GMainContext* c) const noexcept { g_main_context_unref(c); }
};
struct LoopUnref {
  void operator()(GMainLoop* l) const noexcept { g_main_loop_unref(l); }
};

// gst-rtsp-server only expires sessions of vanished (UDP) clients when asked to.
constexpr guint kSessionCleanupSeconds = 2;

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::unique_ptr<GMainContext, ContextUnref> context{g_main_context_new()};
  std::unique_ptr<GMainLoop, LoopUnref> loop{g_main_loop_new(context.get(), FALSE)};
  EncoderPool encoders{std::chrono::steady_clock::now(),
                       [this](std::function<void()> fn) { post_to_loop(std::move(fn)); }};
  std::vector<std::unique_ptr<Camera>> cameras;  // fixed once start() returns
  gst::GObject<GstRTSPServer> server;
  gst::GObject<GstRTSPSessionPool> sessions;
  std::vector<gst::GObject<GstRTSPMediaFactory>> factories;
  guint listen_id = 0;
  guint cleanup_id = 0;
  std::uint16_t port = 0;
  std::thread loop_thread;

  ~Impl() { shutdown(); }

  Camera* find(std::string_view id) const {
    for (const auto& camera : cameras) {
      if (camera->spec().id == id) return camera.get();
    }
    return nullptr;
  }

  // "/nap-1" or "/nap-1/stream=0" -> the camera "nap-1".
  Camera* camera_for_path(const char* abspath) const {
    if (abspath == nullptr) return nullptr;
    std::string_view path = abspath;
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    return find(path.substr(0, path.find('/')));
  }

  // Runs `fn` on the loop thread and waits for it. GLib and gst-rtsp-server objects of this
  // server are touched there only, so no lock is needed around them.
  void run_on_loop(const std::function<void()>& fn) {
    struct Call {
      const std::function<void()>* fn;
      std::promise<void> done;
    };
    auto* call = new Call{&fn, {}};
    auto done = call->done.get_future();
    g_main_context_invoke_full(
        context.get(), G_PRIORITY_DEFAULT,
        [](gpointer data) noexcept -> gboolean {
          auto* c = static_cast<Call*>(data);
          (*c->fn)();
          c->done.set_value();
          return G_SOURCE_REMOVE;
        },
        call, [](gpointer data) noexcept { delete static_cast<Call*>(data); });
    done.wait();
  }

  // Runs `fn` on the loop thread later; never blocks (safe on streaming threads).
  void post_to_loop(std::function<void()> fn) {
    g_main_context_invoke_full(
        context.get(), G_PRIORITY_DEFAULT,
        [](gpointer data) noexcept -> gboolean {
          (*static_cast<std::function<void()>*>(data))();
          return G_SOURCE_REMOVE;
        },
        new std::function<void()>(std::move(fn)),
        [](gpointer data) noexcept { delete static_cast<std::function<void()>*>(data); });
  }

  void close_sessions(Camera& camera) {
    // Closing the client connection (not just its session) is what a camera that reboots
    // does: the reader sees EOF at once instead of waiting for a timeout.
    GList* kept = gst_rtsp_server_client_filter(server.get(), &Impl::close_if_watching, &camera);
    g_list_free_full(kept, g_object_unref);
  }

  static GstRTSPFilterResult ref_session(GstRTSPClient*, GstRTSPSession*, gpointer) noexcept {
    return GST_RTSP_FILTER_REF;
  }
  static GstRTSPFilterResult ref_media(GstRTSPSession*, GstRTSPSessionMedia*, gpointer) noexcept {
    return GST_RTSP_FILTER_REF;
  }
  static GstRTSPFilterResult close_if_watching(GstRTSPServer*, GstRTSPClient* client, gpointer data) noexcept {
    auto* camera = static_cast<Camera*>(data);
    bool watching = false;
    GList* list = gst_rtsp_client_session_filter(client, &Impl::ref_session, nullptr);
    for (GList* s = list; s != nullptr && !watching; s = s->next) {
      GList* medias = gst_rtsp_session_filter(GST_RTSP_SESSION(s->data), &Impl::ref_media, nullptr);
      for (GList* m = medias; m != nullptr && !watching; m = m->next) {
        // Compare medias, not paths: gst_rtsp_session_media_matches() matches prefixes,
        // so "/cam" would also match "/cam2".
        watching = camera->serves(gst_rtsp_session_media_get_media(GST_RTSP_SESSION_MEDIA(m->data)));
      }
      g_list_free_full(medias, g_object_unref);
    }
    g_list_free_full(list, g_object_unref);
    return watching ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
  }
  static GstRTSPFilterResult close_all(GstRTSPServer*, GstRTSPClient*, gpointer) noexcept {
    return GST_RTSP_FILTER_REMOVE;
  }

  static void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer camera) noexcept {
    static_cast<Camera*>(camera)->attach(media);
  }

  static void on_client_connected(GstRTSPServer*, GstRTSPClient* client, gpointer self) noexcept {
    g_signal_connect(client, "pre-describe-request", G_CALLBACK(&Impl::on_pre_request), self);
    g_signal_connect(client, "pre-setup-request", G_CALLBACK(&Impl::on_pre_request), self);
    g_signal_connect(client, "pre-play-request", G_CALLBACK(&Impl::on_pre_play), self);
  }

  // A camera that is `down` answers 503, like a camera whose encoder is not running.
  static GstRTSPStatusCode on_pre_request(GstRTSPClient*, GstRTSPContext* ctx, gpointer self) noexcept {
    const auto* impl = static_cast<const Impl*>(self);
    const Camera* camera = ctx->uri != nullptr ? impl->camera_for_path(ctx->uri->abspath) : nullptr;
    if (camera != nullptr && camera->down()) return GST_RTSP_STS_SERVICE_UNAVAILABLE;
    return GST_RTSP_STS_OK;
  }

  static GstRTSPStatusCode on_pre_play(GstRTSPClient* client, GstRTSPContext* ctx, gpointer self) noexcept {
    // FFmpeg sends "Range: npt=0.000-" with PLAY; on a shared live media a range would seek
    // the one pipeline every client shares. Cameras are live: drop it (NOTES, "Range").
    if (ctx->request != nullptr) gst_rtsp_message_remove_header(ctx->request, GST_RTSP_HDR_RANGE, -1);
    return on_pre_request(client, ctx, self);
  }

  static gboolean on_cleanup(gpointer pool) noexcept {
    gst_rtsp_session_pool_cleanup(GST_RTSP_SESSION_POOL(pool));
    return G_SOURCE_CONTINUE;
  }

  void shutdown() noexcept {
    for (auto& camera : cameras) camera->stop();
    encoders.stop_all();  // no access unit reaches a media from here on
    auto teardown = [this] {
      if (server) {
        GList* kept = gst_rtsp_server_client_filter(server.get(), &Impl::close_all, nullptr);
        g_list_free_full(kept, g_object_unref);
      }
      for (auto& camera : cameras) {
        for (auto& media : camera->release_medias()) gst_rtsp_media_unprepare(media.get());
      }
      for (guint* id : {&listen_id, &cleanup_id}) {
        if (*id == 0) continue;
        if (GSource* source = g_main_context_find_source_by_id(context.get(), *id)) g_source_destroy(source);
        *id = 0;
      }
    };
    if (loop_thread.joinable()) {
      run_on_loop(teardown);
      g_main_loop_quit(loop.get());
      loop_thread.join();
    } else {
      teardown();  // the loop never ran: nothing else touches the context
    }
    for (auto& factory : factories) {
      for (auto& camera : cameras) g_signal_handlers_disconnect_by_data(factory.get(), camera.get());
    }
    if (server) g_signal_handlers_disconnect_by_data(server.get(), this);
    factories.clear();
    sessions.reset();
    server.reset();
    cameras.clear();
  }

  // Creates and prepares every camera's shared media now, as gst-rtsp-server would on the
  // first DESCRIBE. Preparing blocks until the camera's next key frame (the SDP needs the
  // parameter sets), and gst-rtsp-server does it on the thread that serves all clients: 16
  // clients connecting at once to 16 cameras sharing an encoder (key frames at the same
  // instant) would wait one GOP each, one after the other. Here all cameras wait in
  // parallel, once, before the server reports ready.
  Status prepare_medias() {
    gst::GObject<GstRTSPThreadPool> pool{gst_rtsp_server_get_thread_pool(server.get())};
    std::vector<std::string> failures(cameras.size());
    std::vector<std::thread> workers;
    for (std::size_t i = 0; i < cameras.size(); ++i) {
      workers.emplace_back([&, i] {
        // The factory caches a shared media under "<port><path>"; a client's URL gives the
        // same key whatever host name it uses.
        const std::string uri = "rtsp://127.0.0.1:" + std::to_string(port) + "/" + cameras[i]->spec().id;
        GstRTSPUrl* url = nullptr;
        if (gst_rtsp_url_parse(uri.c_str(), &url) != GST_RTSP_OK) {
          failures[i] = "bad url " + uri;
          return;
        }
        gst::GObject<GstRTSPMedia> media{gst_rtsp_media_factory_construct(factories[i].get(), url)};
        gst_rtsp_url_free(url);
        GstRTSPThread* thread = gst_rtsp_thread_pool_get_thread(pool.get(), GST_RTSP_THREAD_TYPE_MEDIA, nullptr);
        if (!media || thread == nullptr || !gst_rtsp_media_prepare(media.get(), thread)) {
          failures[i] = "camera " + cameras[i]->spec().id + ": cannot start its RTSP media";
        }
      });
    }
    for (auto& worker : workers) worker.join();
    for (const auto& failure : failures) {
      if (!failure.empty()) return fail(ErrorKind::Internal, failure);
    }
    return ok();
  }

  // TLS: an auth object carries the certificate (gst-rtsp-server applies it to every
  // connection); with an auth object every factory needs permissions, so an anonymous
  // default token gets access to all cameras (no user names: fakecam has no authentication).
  Status set_up_tls() {
    if (options.tls_cert.empty() && options.tls_key.empty()) return ok();
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      return fail(ErrorKind::InvalidArgument, "TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
    }
    GError* error = nullptr;
    GTlsCertificate* certificate =
        g_tls_certificate_new_from_files(options.tls_cert.c_str(), options.tls_key.c_str(), &error);
    if (certificate == nullptr) {
      std::string why = error != nullptr ? error->message : "unknown error";
      g_clear_error(&error);
      return fail(ErrorKind::InvalidArgument, "TLS certificate " + options.tls_cert.string() + " / key " +
                                                  options.tls_key.string() + ": " + why +
                                                  " (GLib's TLS backend is the package glib-networking)");
    }
    gst::GObject<GstRTSPAuth> auth{gst_rtsp_auth_new()};
    gst_rtsp_auth_set_tls_certificate(auth.get(), certificate);
    g_object_unref(certificate);
    GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "anonymous", nullptr);
    gst_rtsp_auth_set_default_token(auth.get(), token);
    gst_rtsp_token_unref(token);
    for (auto& factory : factories) {
      gst_rtsp_media_factory_add_role(factory.get(), "anonymous", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
                                      GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
    }
    gst_rtsp_server_set_auth(server.get(), auth.get());
    return ok();
  }

  Status start_loop() {
    server.reset(gst_rtsp_server_new());
    gst_rtsp_server_set_address(server.get(), options.address.c_str());
    gst_rtsp_server_set_service(server.get(), std::to_string(options.port).c_str());
    gst_rtsp_server_set_backlog(server.get(), options.backlog);
    // No client threads: every connection is served on our loop thread. gst-rtsp-server's
    // default pool runs clients on a thread of its own, and closing a client from another
    // thread (as `down` does) races with that thread still reading the connection (seen
    // here as GLib-GIO criticals). RTP data does not go through this thread: the media's
    // streaming threads write it.
    gst::GObject<GstRTSPThreadPool> threads{gst_rtsp_server_get_thread_pool(server.get())};
    gst_rtsp_thread_pool_set_max_threads(threads.get(), 0);
    gst::GObject<GstRTSPMountPoints> mounts{gst_rtsp_server_get_mount_points(server.get())};
    for (auto& camera : cameras) {
      gst::GObject<GstRTSPMediaFactory> factory{gst_rtsp_media_factory_new()};
      gst_rtsp_media_factory_set_launch(factory.get(), camera->launch().c_str());
      // One pipeline per camera for every client, kept running when the last client leaves,
      // so new clients join mid-GOP like they join a real camera (NOTES).
      gst_rtsp_media_factory_set_shared(factory.get(), TRUE);
      gst_rtsp_media_factory_set_suspend_mode(factory.get(), GST_RTSP_SUSPEND_MODE_NONE);
      gst_rtsp_media_factory_set_stop_on_disconnect(factory.get(), FALSE);
      g_signal_connect(factory.get(), "media-configure", G_CALLBACK(&Impl::on_media_configure), camera.get());
      gst_rtsp_mount_points_add_factory(mounts.get(), ("/" + camera->spec().id).c_str(),
                                        GST_RTSP_MEDIA_FACTORY(g_object_ref(factory.get())));
      factories.push_back(std::move(factory));
    }
    g_signal_connect(server.get(), "client-connected", G_CALLBACK(&Impl::on_client_connected), this);
    if (auto st = set_up_tls(); !st) return st;

    sessions.reset(gst_rtsp_server_get_session_pool(server.get()));
    GSource* cleanup = g_timeout_source_new_seconds(kSessionCleanupSeconds);
    g_source_set_callback(cleanup, &Impl::on_cleanup, sessions.get(), nullptr);
    cleanup_id = g_source_attach(cleanup, context.get());
    g_source_unref(cleanup);

    listen_id = gst_rtsp_server_attach(server.get(), context.get());
    if (listen_id == 0) {
      return fail(ErrorKind::Unavailable, "cannot listen on " + options.address + ":" +
                                              std::to_string(options.port) +
                                              " (port in use, or address not on this machine?)");
    }
    port = static_cast<std::uint16_t>(gst_rtsp_server_get_bound_port(server.get()));
    if (auto st = prepare_medias(); !st) return st;
    loop_thread = std::thread([this] {
      g_main_context_push_thread_default(context.get());
      g_main_loop_run(loop.get());
      // Let sources destroyed during teardown run their notifies before the thread ends.
      for (int i = 0; i < 100 && g_main_context_iteration(context.get(), FALSE); ++i) {
      }
      g_main_context_pop_thread_default(context.get());
    });
    return ok();
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options, std::vector<CameraSpec> specs) {
  if (specs.empty()) return fail(ErrorKind::InvalidArgument, "no cameras given");
  std::set<std::string> ids;
  for (const auto& spec : specs) {
    if (!ids.insert(spec.id).second) {
      return fail(ErrorKind::InvalidArgument, "camera '" + spec.id + "' given twice");
    }
  }
  if (auto st = gst::init(); !st) return tl::unexpected(st.error());

  std::shared_ptr<const Clip> clip;
  if (!options.source.empty()) {
    auto loaded = load_clip(options.source);
    if (!loaded) return tl::unexpected(loaded.error());
    clip = *loaded;
  }
  std::vector<gst::Requirement> needed = {
      {"appsrc", "gstreamer1.0-plugins-base"}, {"appsink", "gstreamer1.0-plugins-base"},
      {"rtpbin", "gstreamer1.0-plugins-good"}, {"udpsrc", "gstreamer1.0-plugins-good"},
      {"udpsink", "gstreamer1.0-plugins-good"},
  };
  for (const auto& spec : specs) {
    const Codec codec = clip ? clip->codec : spec.codec;
    needed.push_back(codec == Codec::H264 ? gst::Requirement{"rtph264pay", "gstreamer1.0-plugins-good"}
                                          : gst::Requirement{"rtph265pay", "gstreamer1.0-plugins-good"});
    if (!clip) {
      needed.push_back(codec == Codec::H264 ? gst::Requirement{"x264enc", "gstreamer1.0-plugins-ugly"}
                                            : gst::Requirement{"x265enc", "gstreamer1.0-plugins-bad"});
    }
  }
  if (auto st = gst::require(needed); !st) return tl::unexpected(st.error());

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::size_t index = 0;
  for (auto& spec : specs) {
    auto faults = spec.faults;
    auto camera = clip ? std::make_unique<Camera>(std::move(spec), clip, index++)
                       : std::make_unique<Camera>(std::move(spec), impl->encoders, options.share_encoders);
    for (Fault fault : faults) {
      if (auto st = camera->apply(fault); !st) return tl::unexpected(st.error());
    }
    impl->cameras.push_back(std::move(camera));
  }
  for (auto& camera : impl->cameras) {
    if (auto st = camera->start(); !st) return tl::unexpected(st.error());
  }
  if (auto st = impl->start_loop(); !st) return tl::unexpected(st.error());
  for (const auto& camera : impl->cameras) {
    const auto& s = camera->spec();
    log::info("fakecam_camera", {{"camera", s.id},
                                 {"codec", std::string(to_string(s.codec))},
                                 {"size", std::to_string(s.width) + "x" + std::to_string(s.height)},
                                 {"fps", std::to_string(s.fps)},
                                 {"source", clip ? options.source.string() : "live"},
                                 {"port", std::to_string(impl->port)}});
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::uint16_t Server::port() const { return impl_->port; }

std::string Server::url(std::string_view camera) const {
  std::string host = impl_->options.address;
  if (host.empty() || host == "0.0.0.0") {
    host = "127.0.0.1";
  } else if (host == "::") {
    host = "[::1]";
  } else if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  std::string scheme = impl_->options.tls_cert.empty() ? "rtsp://" : "rtsps://";
  return scheme + host + ":" + std::to_string(impl_->port) + "/" + std::string(camera);
}

std::vector<std::string> Server::camera_ids() const {
  std::vector<std::string> ids;
  for (const auto& camera : impl_->cameras) ids.push_back(camera->spec().id);
  return ids;
}

Status Server::apply(std::string_view camera_id, Fault fault) {
  Camera* camera = impl_->find(camera_id);
  if (camera == nullptr) {
    std::string known;
    for (const auto& id : camera_ids()) known += (known.empty() ? "" : ", ") + id;
    return fail(ErrorKind::NotFound, "no camera '" + std::string(camera_id) + "' (cameras: " + known + ")");
  }
  if (auto st = camera->apply(fault); !st) return st;
  if (fault == Fault::Down) impl_->run_on_loop([&] { impl_->close_sessions(*camera); });
  log::info("fakecam_fault", {{"camera", std::string(camera_id)}, {"fault", std::string(to_string(fault))}});
  return ok();
}

}  // namespace carekeep::fakecam
