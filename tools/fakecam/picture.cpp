#include "fakecam/picture.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>

namespace carekeep::fakecam {
namespace {

// Video-range luma/chroma values (BT.601 limited range: black is 16, white 235).
constexpr std::uint8_t kBlackY = 16;
constexpr std::uint8_t kWhiteY = 235;
constexpr std::uint8_t kNeutralC = 128;

// Row offsets into the noise table are drawn from this many positions; prime, so rows of
// successive frames rarely line up into visible patterns.
constexpr int kNoiseSpan = 4093;

// Seven-segment masks, bit 0 = segment a ... bit 6 = segment g.
constexpr std::array<std::uint8_t, 10> kSegments = {
    0b0111111, 0b0000110, 0b1011011, 0b1001111, 0b1100110,
    0b1101101, 0b1111101, 0b0000111, 0b1111111, 0b1101111,
};

int even(int v) { return v & ~1; }

// A triangle wave over [0, span]: the object bounces between the edges.
int bounce(std::int64_t position, int span) {
  if (span <= 0) return 0;
  auto period = static_cast<std::int64_t>(span) * 2;
  auto p = static_cast<int>(position % period);
  return p <= span ? p : static_cast<int>(period) - p;
}

}  // namespace

Painter::Painter(const Layout& layout) : layout_(layout) {
  assert(layout.width >= 16 && layout.height >= 16 && layout.width % 2 == 0 &&
         layout.height % 2 == 0);
  const int w = layout.width;
  const int h = layout.height;
  object_size_ = std::max(8, even(h / 6));
  digit_height_ = std::max(12, even(h / 14));

  // The background: a wall with a soft vertical gradient, a floor, a bright window and a
  // dark cot. Smooth areas with a few edges, like a room, and cheap to encode when static.
  background_.assign(layout.size, 0);
  Scene none{SceneKind::Black};
  paint_full(background_.data(), none);
  const int floor_y = h * 62 / 100;
  for (int y = 0; y < h; ++y) {
    std::uint8_t* row = background_.data() + layout_.offset[0] + static_cast<std::size_t>(y) * layout_.stride[0];
    int luma = y < floor_y ? 170 - 40 * y / floor_y : 95 - 20 * (y - floor_y) / std::max(1, h - floor_y);
    std::memset(row, luma, static_cast<std::size_t>(w));
  }
  auto b = background_.data();
  fill(b, Rect{0, 0, w, floor_y}, 0, 118, 138);  // luma 0: chroma only, keep the gradient
  fill(b, Rect{0, floor_y, w, h - floor_y}, 0, 132, 124);
  Rect window{even(w * 62 / 100), even(h * 10 / 100), even(w * 26 / 100), even(h * 32 / 100)};
  fill(b, window, 225, 134, 122);
  const int bar = std::max(2, even(h / 100));
  fill(b, Rect{window.x + even(window.w / 2) - bar / 2, window.y, bar, window.h}, 90, 128, 128);
  fill(b, Rect{window.x, window.y + even(window.h / 2) - bar / 2, window.w, bar}, 90, 128, 128);
  Rect cot{even(w * 8 / 100), even(h * 50 / 100), even(w * 32 / 100), even(h * 30 / 100)};
  fill(b, cot, 60, 140, 112);
  fill(b, Rect{cot.x + bar * 2, cot.y + bar * 2, cot.w - bar * 4, even(cot.h / 3)}, 200, 124, 132);

  // Noise for `static`: roughly Gaussian (sum of four 2-bit uniforms), sigma ~2.2, within
  // ±6 luma levels: what a real sensor shows in a dim, empty room.
  noise_.resize(static_cast<std::size_t>(w + kNoiseSpan));
  for (auto& n : noise_) {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    auto r = static_cast<unsigned>((rng_ * 0x2545F4914F6CDD1DULL) >> 32);
    n = static_cast<std::int8_t>((r & 3) + ((r >> 2) & 3) + ((r >> 4) & 3) + ((r >> 6) & 3) - 6);
  }
}

Scene Painter::live_scene(std::int64_t index, int fps, std::time_t now) const {
  const int w = layout_.width;
  const int h = layout_.height;
  // The object crosses the frame in about 4 s horizontally and 7 s vertically, inside a band
  // below the clock so the two never overlap (each is repainted independently).
  const int band_top = even(h * 40 / 100);
  const int band_span = std::max(0, h * 92 / 100 - object_size_ - band_top);
  Scene scene;
  scene.kind = SceneKind::Live;
  scene.object_x = even(bounce(index * w / (4 * fps), w - object_size_));
  scene.object_y = band_top + even(bounce(index * h / (7 * fps), band_span));
  std::tm tm{};
  localtime_r(&now, &tm);
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d:%02d", tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
  std::memcpy(scene.clock.data(), text, scene.clock.size());
  return scene;
}

void Painter::paint(std::uint8_t* frame, const std::optional<Scene>& shown, const Scene& next) {
  if (!shown || shown->kind != next.kind) {
    paint_full(frame, next);
    return;
  }
  switch (next.kind) {
    case SceneKind::Black:
    case SceneKind::Covered:
      return;  // already painted, and the same every frame
    case SceneKind::Static:
      draw_noisy_luma(frame);  // chroma already holds the background
      return;
    case SceneKind::Live:
      if (shown->object_x != next.object_x || shown->object_y != next.object_y) {
        restore(frame, object_rect(shown->object_x, shown->object_y));
        draw_object(frame, next.object_x, next.object_y);
      }
      if (shown->clock != next.clock) draw_clock(frame, next.clock);
      return;
  }
}

Painter::Rect Painter::object_rect(int x, int y) const { return Rect{x, y, object_size_, object_size_}; }

Painter::Rect Painter::clock_rect() const {
  const int t = std::max(2, even(digit_height_ / 7));
  const int digit_w = even(digit_height_ / 2) + t;
  const int pad = t * 2;
  const int width = pad * 2 + 6 * (digit_w + t * 2) + 2 * (t * 3);
  const int margin = std::max(4, even(layout_.height / 40));
  return Rect{margin, margin, std::min(even(width), layout_.width - margin), digit_height_ + pad * 2};
}

void Painter::paint_full(std::uint8_t* frame, const Scene& next) {
  const auto& l = layout_;
  const std::size_t luma_bytes = static_cast<std::size_t>(l.stride[0]) * static_cast<std::size_t>(l.height);
  switch (next.kind) {
    case SceneKind::Black: {
      const std::size_t chroma_bytes =
          static_cast<std::size_t>(l.stride[1]) * static_cast<std::size_t>((l.height + 1) / 2);
      std::memset(frame + l.offset[0], kBlackY, luma_bytes);
      std::memset(frame + l.offset[1], kNeutralC, chroma_bytes);
      std::memset(frame + l.offset[2], kNeutralC, chroma_bytes);
      return;
    }
    case SceneKind::Static:
      std::memcpy(frame, background_.data(), l.size);
      draw_noisy_luma(frame);
      return;
    case SceneKind::Covered:
      paint_covered(frame);
      return;
    case SceneKind::Live:
      std::memcpy(frame, background_.data(), l.size);
      draw_object(frame, next.object_x, next.object_y);
      draw_clock(frame, next.clock);
      return;
  }
}

void Painter::restore(std::uint8_t* frame, Rect r) const {
  for (int plane = 0; plane < 3; ++plane) {
    const int shift = plane == 0 ? 0 : 1;
    const int x = r.x >> shift;
    const int w = ((r.x + r.w + shift) >> shift) - x;
    const int y0 = r.y >> shift;
    const int y1 = (r.y + r.h + shift) >> shift;
    for (int y = y0; y < y1; ++y) {
      auto off = layout_.offset[static_cast<std::size_t>(plane)] +
                 static_cast<std::size_t>(y) * static_cast<std::size_t>(layout_.stride[static_cast<std::size_t>(plane)]) +
                 static_cast<std::size_t>(x);
      std::memcpy(frame + off, background_.data() + off, static_cast<std::size_t>(w));
    }
  }
}

// Fills a rectangle (clipped to the frame). A luma value of 0 leaves luma untouched.
void Painter::fill(std::uint8_t* frame, Rect r, std::uint8_t y, std::uint8_t u, std::uint8_t v) const {
  const int x0 = std::clamp(r.x, 0, layout_.width);
  const int x1 = std::clamp(r.x + r.w, 0, layout_.width);
  const int y0 = std::clamp(r.y, 0, layout_.height);
  const int y1 = std::clamp(r.y + r.h, 0, layout_.height);
  if (x0 >= x1 || y0 >= y1) return;
  const std::array<std::uint8_t, 3> values{y, u, v};
  for (int plane = 0; plane < 3; ++plane) {
    if (plane == 0 && y == 0) continue;
    const int shift = plane == 0 ? 0 : 1;
    const int px0 = x0 >> shift;
    const int px1 = (x1 + shift) >> shift;
    const auto p = static_cast<std::size_t>(plane);
    for (int row = y0 >> shift; row < (y1 + shift) >> shift; ++row) {
      std::memset(frame + layout_.offset[p] + static_cast<std::size_t>(row) * static_cast<std::size_t>(layout_.stride[p]) +
                      static_cast<std::size_t>(px0),
                  values[p], static_cast<std::size_t>(px1 - px0));
    }
  }
}

void Painter::draw_object(std::uint8_t* frame, int x, int y) const {
  // An orange box with a dark centre: edges in both planes, so motion is visible in luma
  // and chroma, yet only the macroblocks along its edges change from frame to frame.
  fill(frame, object_rect(x, y), 190, 70, 190);
  const int inner = even(object_size_ / 2);
  const int o = even(object_size_ / 4);
  fill(frame, Rect{x + o, y + o, inner, inner}, 40, 150, 110);
}

void Painter::draw_clock(std::uint8_t* frame, const std::array<char, 8>& text) const {
  const Rect box = clock_rect();
  fill(frame, box, kBlackY, kNeutralC, kNeutralC);
  const int dh = digit_height_;
  const int t = std::max(2, even(dh / 7));
  const int dw = even(dh / 2) + t;
  auto seg = [&](int x, int y, int w, int h) {
    // Luma only: the box's chroma is already neutral, so white digits need no chroma write.
    const int x0 = std::clamp(x, 0, layout_.width);
    const int x1 = std::clamp(x + w, 0, layout_.width);
    for (int row = std::max(0, y); row < std::min(layout_.height, y + h); ++row) {
      if (x1 > x0) {
        std::memset(frame + layout_.offset[0] + static_cast<std::size_t>(row) * static_cast<std::size_t>(layout_.stride[0]) +
                        static_cast<std::size_t>(x0),
                    kWhiteY, static_cast<std::size_t>(x1 - x0));
      }
    }
  };
  int x = box.x + t * 2;
  const int y = box.y + t * 2;
  for (char c : text) {
    if (c == ':') {
      seg(x + t, y + dh / 3 - t / 2, t, t);
      seg(x + t, y + dh * 2 / 3 - t / 2, t, t);
      x += t * 3;
      continue;
    }
    if (c < '0' || c > '9') {
      x += dw + t * 2;
      continue;
    }
    const std::uint8_t m = kSegments[static_cast<std::size_t>(c - '0')];
    const int half = dh / 2;
    if (m & 0x01) seg(x, y, dw, t);                         // a
    if (m & 0x02) seg(x + dw - t, y, t, half);              // b
    if (m & 0x04) seg(x + dw - t, y + half, t, dh - half);  // c
    if (m & 0x08) seg(x, y + dh - t, dw, t);                // d
    if (m & 0x10) seg(x, y + half, t, dh - half);           // e
    if (m & 0x20) seg(x, y, t, half);                       // f
    if (m & 0x40) seg(x, y + half - t / 2, dw, t);          // g
    x += dw + t * 2;
  }
}

void Painter::draw_noisy_luma(std::uint8_t* frame) {
  const int w = layout_.width;
  for (int y = 0; y < layout_.height; ++y) {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    const auto offset = static_cast<std::size_t>(((rng_ * 0x2545F4914F6CDD1DULL) >> 33) % kNoiseSpan);
    const auto row = layout_.offset[0] + static_cast<std::size_t>(y) * static_cast<std::size_t>(layout_.stride[0]);
    const std::uint8_t* src = background_.data() + row;
    const std::int8_t* noise = noise_.data() + offset;
    std::uint8_t* dst = frame + row;
    for (int x = 0; x < w; ++x) {
      dst[x] = static_cast<std::uint8_t>(std::clamp(src[x] + noise[x], 0, 255));
    }
  }
}

void Painter::paint_covered(std::uint8_t* frame) const {
  // Reddish-orange light (a hand over the lens in daylight) with a vignette: luma 120 at the
  // centre falling to about 100 in the corners, smooth everywhere. Sensor noise of ±1 keeps
  // it from being a synthetic flat field.
  const int w = layout_.width;
  const int h = layout_.height;
  for (int y = 0; y < h; ++y) {
    std::uint8_t* row = frame + layout_.offset[0] + static_cast<std::size_t>(y) * static_cast<std::size_t>(layout_.stride[0]);
    const int dy = 2 * y - h;
    const std::int8_t* noise = noise_.data() + static_cast<std::size_t>(y * 7919 % kNoiseSpan);
    for (int x = 0; x < w; ++x) {
      const int dx = 2 * x - w;
      // r² / (w² + h²) in [0, 1]: 20 levels darker at the corners.
      const auto r2 = static_cast<std::int64_t>(dx) * dx + static_cast<std::int64_t>(dy) * dy;
      const auto max2 = static_cast<std::int64_t>(w) * w + static_cast<std::int64_t>(h) * h;
      const int luma = 120 - static_cast<int>(20 * r2 / max2) + noise[x] / 3;
      row[x] = static_cast<std::uint8_t>(std::clamp(luma, 16, 235));
    }
  }
  fill(frame, Rect{0, 0, w, h}, 0, 110, 160);
}

}  // namespace carekeep::fakecam
