// report/render: turns a ReportData into files: report.json (the whole report as data) and its
// detached Ed25519 signature, report.html (self-contained), report.pdf (cairo + pango) and
// coverage.csv, gaps.csv, access.csv (UTF-8 with BOM). write_report() makes them all in an
// output directory; verify_report() checks a report.json offline. Blocking file I/O; any one
// thread at a time (pango's font map is per thread).
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/destination.hpp"
#include "base/error.hpp"
#include "report/document.hpp"
#include "report/report.hpp"
#include "signing/signing.hpp"

namespace carekeep::report {

enum class Format { Json, Html, Pdf, Csv };
// "html,pdf,json,csv" (any order, any subset). InvalidArgument naming the wrong word otherwise.
Result<std::set<Format>> parse_formats(std::string_view text);

// report.json: UTF-8, times in ISO 8601 with the site's offset, keys stable (documented in
// docs/reports.md, Reports). Deterministic for equal data.
std::string render_json(const ReportData& data, const TimeZone& zone);

struct CsvFiles {
  std::string coverage;  // zone, date, care, covered, percent: one row per zone and local date
  std::string gaps;      // one row per gap
  std::string access;    // one row per access-log row of the period
};
CsvFiles render_csv(const ReportData& data, const TimeZone& zone);

std::string render_html(const Document& doc, const ReportData& data);

// Writes the PDF to `path` (A4, tables continue across pages with their header repeated, page
// numbers, the seal in every footer). Fails Internal when cairo reports an error.
Status render_pdf(const Document& doc, const ReportData& data, const std::filesystem::path& path);
// The same into an open file (`name` for messages); the caller fsyncs it.
Status render_pdf(const Document& doc, const ReportData& data, int fd, const std::string& name);

std::string sha256_hex(std::string_view bytes);

// The detached signature of report.json: a small JSON object with the file's SHA-256, the
// Ed25519 signature over its exact bytes, the public key (PEM) and its fingerprint.
std::string make_signature(std::string_view json_bytes, const signing::KeyPair& key);

struct Verified {
  std::string key_fingerprint;
  std::string sha256;
  bool key_from_signature = false;  // no --pubkey: only integrity is proven, not who signed
};
// Checks `json_bytes` against the signature file's content. With `public_key_pem`, the
// signature must be by that key; without, by the key the signature file carries. DataLoss
// when the hash or signature does not match, InvalidArgument when the signature file is
// malformed, FailedPrecondition when it names another key than `public_key_pem`.
Result<Verified> verify_report(std::string_view json_bytes, std::string_view signature_file,
                               std::optional<std::string_view> public_key_pem);

struct Written {
  std::vector<std::filesystem::path> files;
  std::string json_sha256;
  std::string key_fingerprint;
};
// Writes the requested formats into `out_dir` (absolute; created if missing; other files in
// it stay) through `dest`. report.json, its signature and signing.pub are always written: the
// HTML and PDF cite the JSON's hash. Every file is staged and renamed into place at the end,
// so a failed run leaves no file that looks complete.
Result<Written> write_report(const ReportData& data, const TimeZone& zone, const std::set<Format>& formats,
                             fs::Destination& dest, const std::filesystem::path& out_dir, const signing::KeyPair& key);
// The same through a LocalDestination.
Result<Written> write_report(const ReportData& data, const TimeZone& zone, const std::set<Format>& formats,
                             const std::filesystem::path& out_dir, const signing::KeyPair& key);

}  // namespace carekeep::report
