#include "support/media.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace carekeep::test {

int run(const std::string& command) {
  int status = std::system(command.c_str());
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void make_clip(const std::filesystem::path& path, const ClipSpec& spec) {
  std::string size = std::to_string(spec.width) + "x" + std::to_string(spec.height);
  std::string encoder = spec.codec == "hevc" ? "libx265 -x265-params log-level=error:bframes=0 -tag:v hvc1"
                                             : "libx264 -bf 0";
  std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=" + size +
                    ":rate=" + std::to_string(spec.fps);
  if (spec.audio) cmd += " -f lavfi -i sine=frequency=440:sample_rate=48000";
  cmd += " -t " + std::to_string(spec.seconds) + " -c:v " + encoder + " -g " + std::to_string(spec.gop) +
         " -pix_fmt yuv420p";
  if (spec.audio) cmd += " -c:a aac -b:a 64k";
  cmd += " '" + path.string() + "'";
  if (run(cmd) != 0) throw std::runtime_error("ffmpeg failed: " + cmd);
}

MediaInfo probe(const std::filesystem::path& path) {
  MediaInfo info;
  AVFormatContext* ctx = nullptr;
  int rc = avformat_open_input(&ctx, path.c_str(), nullptr, nullptr);
  if (rc < 0) {
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(rc, buf, sizeof buf);
    info.error = buf;
    return info;
  }
  std::unique_ptr<AVFormatContext, void (*)(AVFormatContext*)> guard(ctx, [](AVFormatContext* c) { avformat_close_input(&c); });
  avformat_find_stream_info(ctx, nullptr);
  info.opened = true;
  int video = -1, audio = -1;
  for (unsigned i = 0; i < ctx->nb_streams; ++i) {
    auto* par = ctx->streams[i]->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && video < 0) {
      video = static_cast<int>(i);
      info.video_codec = avcodec_get_name(par->codec_id);
      char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
      av_fourcc_make_string(tag, par->codec_tag);
      info.codec_tag = tag;
      info.width = par->width;
      info.height = par->height;
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && audio < 0) {
      audio = static_cast<int>(i);
      info.audio_codec = avcodec_get_name(par->codec_id);
    }
  }
  AVPacket* pkt = av_packet_alloc();
  std::int64_t last_dts = AV_NOPTS_VALUE;
  double max_end = 0;
  while (av_read_frame(ctx, pkt) >= 0) {
    if (pkt->stream_index == video) {
      AVRational tb = ctx->streams[video]->time_base;
      if (info.video_packets == 0) {
        info.first_packet_key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
        info.first_pts_seconds = static_cast<double>(pkt->pts) * av_q2d(tb);
      }
      ++info.video_packets;
      if (pkt->flags & AV_PKT_FLAG_KEY) {
        ++info.keyframes;
        info.keyframe_pts_seconds.push_back(static_cast<double>(pkt->pts) * av_q2d(tb));
      }
      if (last_dts != AV_NOPTS_VALUE && pkt->dts <= last_dts) info.dts_monotonic = false;
      last_dts = pkt->dts;
      double end = static_cast<double>(pkt->pts + pkt->duration) * av_q2d(tb);
      if (end > max_end) max_end = end;
    } else if (pkt->stream_index == audio) {
      ++info.audio_packets;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  info.last_pts_end_seconds = max_end;
  return info;
}

std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += kDigits[digest[i] >> 4];
    hex += kDigits[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace carekeep::test
