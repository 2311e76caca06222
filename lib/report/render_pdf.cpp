// report/render_pdf: the report as an A4 PDF drawn with cairo, text shaped by pango (so Chinese
// is laid out and embedded with its glyph-to-Unicode map, and pdftotext / copy-paste work).
// The layout runs twice over the same code: the first pass only measures, to count pages; the
// second draws for real with "page N of M". Text is shaped once: both passes take their pango
// layouts from one TextCache, whose context is made from the PDF surface itself, so metrics,
// and therefore page breaks, are those of the real pass (the counting pass draws its few lines
// and boxes on a 1x1 image surface, where they cost nothing).
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "report/render.hpp"
#include "report/text.hpp"

namespace carekeep::report {

namespace {

constexpr double kPageWidth = 595.28;   // A4 in points
constexpr double kPageHeight = 841.89;
constexpr double kMargin = 40;
constexpr double kFooter = 34;          // reserved at the bottom for the footer
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kBottom = kPageHeight - kMargin - kFooter;
constexpr double kPad = 2.5;            // cell padding
// A single cell taller than a page could never be placed; access-log arguments are the only
// long free text, and the JSON and CSV keep them whole.
constexpr std::size_t kMaxCellBytes = 700;

// Noto Sans CJK comes with install-deps (fonts-noto-cjk); fontconfig falls back to any CJK
// font the box has when it is missing.
constexpr const char* kFamily = "Noto Sans CJK SC, Noto Sans, sans-serif";

struct CairoFree {
  void operator()(cairo_t* cr) const noexcept { cairo_destroy(cr); }
  void operator()(cairo_surface_t* s) const noexcept { cairo_surface_destroy(s); }
};
struct GFree {
  void operator()(void* p) const noexcept { g_object_unref(p); }
};
struct FontFree {
  void operator()(PangoFontDescription* f) const noexcept { pango_font_description_free(f); }
};
using Cairo = std::unique_ptr<cairo_t, CairoFree>;
using Surface = std::unique_ptr<cairo_surface_t, CairoFree>;
using Layout = std::unique_ptr<PangoLayout, GFree>;
using Font = std::unique_ptr<PangoFontDescription, FontFree>;

Font font(double size, bool bold) {
  Font f{pango_font_description_from_string(kFamily)};
  pango_font_description_set_absolute_size(f.get(), size * PANGO_SCALE);
  if (bold) pango_font_description_set_weight(f.get(), PANGO_WEIGHT_BOLD);
  return f;
}

enum class Face { Body, Bold, Small, H1, H2, H3 };

// Every piece of text of the report laid out once (shaping is most of a PDF's cost: a table
// cell used to be shaped five times, twice per pass to size its row and once to draw it) and
// kept for both passes. Keyed by face, width, alignment and text; a few thousand layouts for a
// 90-day report.
class TextCache {
 public:
  // `surface`: the PDF surface the real pass draws on; the context takes its font options.
  explicit TextCache(cairo_surface_t* surface) {
    Cairo cr{cairo_create(surface)};
    context_.reset(pango_cairo_create_context(cr.get()));
    fonts_[static_cast<int>(Face::Body)] = font(8, false);
    fonts_[static_cast<int>(Face::Bold)] = font(8, true);
    fonts_[static_cast<int>(Face::Small)] = font(6.3, false);
    fonts_[static_cast<int>(Face::H1)] = font(15, true);
    fonts_[static_cast<int>(Face::H2)] = font(12, true);
    fonts_[static_cast<int>(Face::H3)] = font(9.5, true);
  }

  PangoLayout* get(std::string_view text, Face face, double width, PangoAlignment align) {
    if (text.size() > kMaxCellBytes) {
      // A single cell taller than a page could never be placed; cut at a UTF-8 boundary.
      std::size_t cut = kMaxCellBytes;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
      clipped_.assign(text.substr(0, cut));
      clipped_ += "…";
      text = clipped_;
    }
    int w = static_cast<int>(width * PANGO_SCALE);
    Key key{static_cast<int>(face), w, static_cast<int>(align), std::string(text)};
    auto it = layouts_.find(key);
    if (it != layouts_.end()) return it->second.get();
    Layout layout{pango_layout_new(context_.get())};
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    pango_layout_set_font_description(layout.get(), fonts_[static_cast<int>(face)].get());
    pango_layout_set_width(layout.get(), w);
    pango_layout_set_alignment(layout.get(), align);
    pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
    return layouts_.emplace(std::move(key), std::move(layout)).first->second.get();
  }

 private:
  using Key = std::tuple<int, int, int, std::string>;
  std::unique_ptr<PangoContext, GFree> context_;
  std::array<Font, 6> fonts_;
  std::map<Key, Layout> layouts_;
  std::string clipped_;
};

class Painter {
 public:
  // total_pages == 0: the counting pass; it measures everything and draws no text.
  Painter(cairo_surface_t* surface, const Document& doc, int total_pages, TextCache& text)
      : cr_(cairo_create(surface)), doc_(doc), total_(total_pages), counting_(total_pages == 0), text_(text) {
    start_page();
  }

  int pages() const { return page_; }
  cairo_status_t status() const { return cairo_status(cr_.get()); }

  void finish() { end_page(); }

  void title(const std::string& text) { paragraph(text, Face::H1, 10, 0.0); }
  void heading(const std::string& text) {
    // Keep a heading with at least a few lines of what follows.
    if (y_ + 60 > kBottom) new_page();
    y_ += 8;
    paragraph(text, Face::H2, 4, 0.0);
    cairo_set_line_width(cr_.get(), 0.6);
    cairo_move_to(cr_.get(), kMargin, y_ - 2);
    cairo_line_to(cr_.get(), kMargin + kContentWidth, y_ - 2);
    cairo_stroke(cr_.get());
    y_ += 3;
  }
  void caption(const std::string& text) {
    if (y_ + 40 > kBottom) new_page();
    paragraph(text, Face::H3, 3, 0.0);
  }
  void text(const std::string& t) { paragraph(t, Face::Body, 5, 0.0); }
  void notice(const std::string& t, bool alarm) {
    double h = measure(t, alarm ? Face::Bold : Face::Body, kContentWidth - 12) + 8;
    if (y_ + h > kBottom) new_page();
    if (alarm) cairo_set_source_rgb(cr_.get(), 0.99, 0.92, 0.92);
    else cairo_set_source_rgb(cr_.get(), 0.93, 0.97, 0.94);
    cairo_rectangle(cr_.get(), kMargin, y_, kContentWidth, h);
    cairo_fill(cr_.get());
    if (alarm) cairo_set_source_rgb(cr_.get(), 0.78, 0.16, 0.16);
    else cairo_set_source_rgb(cr_.get(), 0.11, 0.5, 0.23);
    cairo_rectangle(cr_.get(), kMargin, y_, 3, h);
    cairo_fill(cr_.get());
    cairo_set_source_rgb(cr_.get(), 0, 0, 0);
    draw(t, alarm ? Face::Bold : Face::Body, kMargin + 8, y_ + 4, kContentWidth - 12);
    y_ += h + 6;
  }

  void table(const Block& b) {
    if (!b.text.empty()) caption(b.text);
    if (b.rows.empty()) {
      paragraph(b.empty_text, Face::Body, 5, 0.4);
      return;
    }
    std::vector<double> widths = b.widths;
    widths.resize(b.header.size(), 1.0);
    double sum = 0;
    for (double w : widths) sum += w;
    for (double& w : widths) w = w / sum * kContentWidth;

    const double header_h = row_height(b.header, widths, b.right, Face::Bold, true);
    if (y_ + header_h * 2 > kBottom) new_page();
    row(b.header, widths, b.right, Face::Bold, true, header_h);
    for (const auto& r : b.rows) {
      double h = row_height(r, widths, b.right, Face::Body, false);
      if (y_ + h > kBottom) {
        // The table continues on the next page under its header again.
        new_page();
        row(b.header, widths, b.right, Face::Bold, true, header_h);
      }
      row(r, widths, b.right, Face::Body, false, h);
    }
    y_ += 8;
  }

  void timeline(const Document& doc) {
    constexpr double kLabel = 58;
    constexpr double kChart = kContentWidth - kLabel - 4;
    for (const auto& z : doc.timeline) {
      double row = z.days.size() > 62 ? 2.6 : 4.5;
      double chart_h = row * static_cast<double>(z.days.size());
      double h = 14 + 10 + chart_h + 8;
      if (y_ + h > kBottom) new_page();
      paragraph(z.zone_id + " " + z.name, Face::H3, 2, 0.0);
      double top = y_ + 10;
      double left = kMargin + kLabel;
      cairo_t* cr = cr_.get();
      cairo_set_source_rgb(cr, 0.98, 0.98, 0.98);
      cairo_rectangle(cr, left, top, kChart, chart_h);
      cairo_fill(cr);
      for (std::size_t i = 0; i < z.days.size(); ++i) {
        const auto& d = z.days[i];
        double y = top + row * static_cast<double>(i);
        cairo_set_source_rgb(cr, 0.81, 0.91, 0.83);
        for (const auto& [b, e] : d.care) cairo_rectangle(cr, left + kChart * b / 1440, y, kChart * (e - b) / 1440, row);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.83, 0.18, 0.18);
        for (const auto& [b, e] : d.gaps) {
          cairo_rectangle(cr, left + kChart * b / 1440, y, std::max(0.8, kChart * (e - b) / 1440), row);
        }
        cairo_fill(cr);
        if (i % 7 == 0) {
          cairo_set_source_rgb(cr, 0, 0, 0);
          draw(d.date, Face::Small, kMargin, y - 1, kLabel - 4);
        }
      }
      cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
      cairo_set_line_width(cr, 0.3);
      for (int hour = 0; hour <= 24; hour += 3) {
        double x = left + kChart * hour / 24.0;
        cairo_move_to(cr, x, top - 1);
        cairo_line_to(cr, x, top + chart_h);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        char label[8];
        std::snprintf(label, sizeof label, "%d:00", hour);
        draw(label, Face::Small, x - 8, top - 9, 30);
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
      }
      cairo_set_source_rgb(cr, 0, 0, 0);
      y_ = top + chart_h + 8;
    }
  }

 private:
  void start_page() {
    ++page_;
    y_ = kMargin;
  }
  void end_page() {
    footer();
    cairo_show_page(cr_.get());
  }
  void new_page() {
    end_page();
    start_page();
  }

  void footer() {
    cairo_t* cr = cr_.get();
    double top = kPageHeight - kMargin - kFooter + 8;
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 0.4);
    cairo_move_to(cr, kMargin, top);
    cairo_line_to(cr, kMargin + kContentWidth, top);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    std::string left = doc_.footer_left + "  ·  report.json SHA-256: " + doc_.seal.json_sha256;
    std::string key = std::string(tr(doc_.lang, "key_fingerprint")) + ": " + doc_.seal.key_fingerprint;
    char page[96];
    if (doc_.lang == Lang::Zh) {
      std::snprintf(page, sizeof page, "第 %d 页 / 共 %d 页", page_, total_);
    } else {
      std::snprintf(page, sizeof page, "page %d of %d", page_, total_);
    }
    draw(left, Face::Small, kMargin, top + 3, kContentWidth - 70);
    draw(key, Face::Small, kMargin, top + 12, kContentWidth - 70);
    draw(page, Face::Small, kMargin + kContentWidth - 66, top + 3, 66, PANGO_ALIGN_RIGHT);
    cairo_set_source_rgb(cr, 0, 0, 0);
  }

  double measure(std::string_view text, Face f, double width, PangoAlignment align = PANGO_ALIGN_LEFT) {
    int w = 0;
    int h = 0;
    pango_layout_get_size(text_.get(text, f, width, align), &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }
  void draw(std::string_view text, Face f, double x, double y, double width,
            PangoAlignment align = PANGO_ALIGN_LEFT) {
    if (counting_) return;
    cairo_move_to(cr_.get(), x, y);
    pango_cairo_show_layout(cr_.get(), text_.get(text, f, width, align));
  }
  void paragraph(const std::string& text, Face f, double after, double grey) {
    double h = measure(text, f, kContentWidth);
    if (y_ + h > kBottom) new_page();
    cairo_set_source_rgb(cr_.get(), grey, grey, grey);
    draw(text, f, kMargin, y_, kContentWidth);
    cairo_set_source_rgb(cr_.get(), 0, 0, 0);
    y_ += h + after;
  }

  // A cell is measured with the alignment it is drawn with, so both use one cached layout.
  static PangoAlignment align_of(const std::vector<bool>& right, std::size_t i, bool header) {
    return !header && i < right.size() && right[i] ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
  }
  double row_height(const std::vector<std::string>& cells, const std::vector<double>& widths,
                    const std::vector<bool>& right, Face f, bool header) {
    double h = 0;
    for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      h = std::max(h, measure(cells[i], f, widths[i] - 2 * kPad, align_of(right, i, header)));
    }
    return h + 2 * kPad;
  }
  void row(const std::vector<std::string>& cells, const std::vector<double>& widths, const std::vector<bool>& right,
           Face f, bool header, double h) {
    cairo_t* cr = cr_.get();
    if (header) {
      cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
      cairo_rectangle(cr, kMargin, y_, kContentWidth, h);
      cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.65, 0.65, 0.65);
    cairo_set_line_width(cr, 0.4);
    double x = kMargin;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      cairo_rectangle(cr, x, y_, widths[i], h);
      x += widths[i];
    }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    x = kMargin;
    for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      draw(cells[i], f, x + kPad, y_ + kPad, widths[i] - 2 * kPad, align_of(right, i, header));
      x += widths[i];
    }
    y_ += h;
  }

  Cairo cr_;
  const Document& doc_;
  int total_;
  bool counting_;
  TextCache& text_;
  double y_ = kMargin;
  int page_ = 0;
};

void paint(Painter& p, const Document& doc) {
  for (const auto& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::Title: p.title(b.text); break;
      case Block::Kind::Heading: p.heading(b.text); break;
      case Block::Kind::Paragraph: p.text(b.text); break;
      case Block::Kind::Notice: p.notice(b.text, b.alarm); break;
      case Block::Kind::Table: p.table(b); break;
      case Block::Kind::Timeline:
        p.caption(b.text);
        p.timeline(doc);
        break;
    }
  }
  p.finish();
}

// Pages are counted first (the footer says "page N of M"), then drawn into `surface`.
Status paint_pdf(const Document& doc, const ReportData& data, cairo_surface_t* surface, const std::string& name) {
  if (auto st = cairo_surface_status(surface); st != CAIRO_STATUS_SUCCESS) {
    return fail(ErrorKind::Internal, "creating " + name + ": " + cairo_status_to_string(st));
  }
  TextCache text(surface);
  int pages = 0;
  {
    // Counting: every measurement of the real pass, nothing drawn that could be seen.
    Surface scratch{cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1)};
    Painter p(scratch.get(), doc, 0, text);
    paint(p, doc);
    pages = p.pages();
  }
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, doc.title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, ("carekeep " + data.version).c_str());
  {
    Painter p(surface, doc, pages, text);
    paint(p, doc);
    if (auto st = p.status(); st != CAIRO_STATUS_SUCCESS) {
      return fail(ErrorKind::Internal, "drawing the PDF: " + std::string(cairo_status_to_string(st)));
    }
  }
  cairo_surface_finish(surface);
  if (auto st = cairo_surface_status(surface); st != CAIRO_STATUS_SUCCESS) {
    return fail(ErrorKind::Internal, "writing " + name + ": " + cairo_status_to_string(st));
  }
  return ok();
}

struct FdSink {
  int fd;
  Status status = ok();
};

cairo_status_t write_to_fd(void* closure, const unsigned char* data, unsigned int length) {
  auto* sink = static_cast<FdSink*>(closure);
  sink->status = fs::write_all(sink->fd, std::string_view(reinterpret_cast<const char*>(data), length), "writing the PDF");
  return sink->status ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

}  // namespace

Status render_pdf(const Document& doc, const ReportData& data, const std::filesystem::path& path) {
  Surface surface{cairo_pdf_surface_create(path.c_str(), kPageWidth, kPageHeight)};
  return paint_pdf(doc, data, surface.get(), path.string());
}

Status render_pdf(const Document& doc, const ReportData& data, int fd, const std::string& name) {
  FdSink sink{fd};
  Surface surface{cairo_pdf_surface_create_for_stream(write_to_fd, &sink, kPageWidth, kPageHeight)};
  auto st = paint_pdf(doc, data, surface.get(), name);
  // A full disk shows as cairo's bare WRITE_ERROR; the sink knows which error it was.
  if (!sink.status) return tl::unexpected(sink.status.error());
  return st;
}

}  // namespace carekeep::report
