// fakecam/picture: draws the raw I420 frames of a live-encoded fake camera: a "room", a
// moving box, the wall-clock time HH:MM:SS in 7-segment digits, and the picture faults
// (black; static = the room plus sensor noise; covered = a blurred hand on the lens). One Painter per encoder, used only on its
// pacing thread; never blocks; no GStreamer (plain memory in, pixels out). It repaints only
// what changed since a buffer's last paint: frames are many and the cores two.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <vector>

namespace carekeep::fakecam {

// Plane geometry of one I420 frame: offsets and strides exactly as the consumer (GStreamer's
// GstVideoInfo) expects them; the caller fills this in, the painter only follows it.
struct Layout {
  int width = 0;
  int height = 0;
  std::array<std::size_t, 3> offset{};
  std::array<int, 3> stride{};
  std::size_t size = 0;
};

enum class SceneKind : std::uint8_t { Live, Black, Static, Covered };

// Everything one frame shows. Two equal Live scenes paint identical pixels, which is how the
// `frozen` fault works: the camera keeps painting the last Live scene. A Static scene differs
// from every other Static scene (fresh noise each frame), so it is always repainted.
struct Scene {
  SceneKind kind = SceneKind::Live;
  int object_x = 0;
  int object_y = 0;
  std::array<char, 8> clock{};  // "HH:MM:SS" in local time

  bool operator==(const Scene&) const = default;
};

class Painter {
 public:
  // Precomputes the background and a noise table for this geometry. width and height are
  // at least 16 and even (I420).
  explicit Painter(const Layout& layout);

  // The Live scene of frame `index` at `fps`, showing the wall-clock time `now`.
  Scene live_scene(std::int64_t index, int fps, std::time_t now) const;
  static Scene black_scene() { return Scene{SceneKind::Black}; }
  static Scene static_scene() { return Scene{SceneKind::Static}; }
  // A hand or cloth on the lens: light through skin, so out of focus that only a faint
  // vignette is left (no edges), plus a little sensor noise. Identical every frame.
  static Scene covered_scene() { return Scene{SceneKind::Covered}; }

  // Paints `next` into `frame` (layout().size bytes). `shown` is what `frame` holds from an
  // earlier paint (nullopt: unknown), so only the regions that differ are rewritten.
  void paint(std::uint8_t* frame, const std::optional<Scene>& shown, const Scene& next);

  const Layout& layout() const { return layout_; }

 private:
  struct Rect {
    int x, y, w, h;
  };
  Rect object_rect(int x, int y) const;
  Rect clock_rect() const;
  void paint_full(std::uint8_t* frame, const Scene& next);
  void restore(std::uint8_t* frame, Rect r) const;
  void fill(std::uint8_t* frame, Rect r, std::uint8_t y, std::uint8_t u, std::uint8_t v) const;
  void draw_object(std::uint8_t* frame, int x, int y) const;
  void draw_clock(std::uint8_t* frame, const std::array<char, 8>& text) const;
  void draw_noisy_luma(std::uint8_t* frame);
  void paint_covered(std::uint8_t* frame) const;

  Layout layout_;
  std::vector<std::uint8_t> background_;  // a full frame in layout_
  std::vector<std::int8_t> noise_;        // width + kNoiseSpan signed luma offsets
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
  int object_size_ = 0;
  int digit_height_ = 0;
};

}  // namespace carekeep::fakecam
