#include <catch2/catch.hpp>

#include "ingest/rtsp_protocol.hpp"

using namespace carekeep::ingest::rtsp;

TEST_CASE("camera URLs split into host, port, credentials and a request URL without them", "[ingest]") {
  auto u = parse_url("rtsp://admin:p%40ss@192.168.1.20:8554/stream1?ch=1");
  REQUIRE(u);
  CHECK(u->host == "192.168.1.20");
  CHECK(u->port == 8554);
  CHECK(u->user == "admin");
  CHECK(u->password == "p@ss");
  CHECK(u->has_credentials);
  CHECK(u->request_url == "rtsp://192.168.1.20:8554/stream1?ch=1");

  auto v6 = parse_url("rtsp://[fe80::1]/live");
  REQUIRE(v6);
  CHECK(v6->host == "fe80::1");
  CHECK(v6->port == 554);
  CHECK_FALSE(v6->has_credentials);
  CHECK(v6->request_url == "rtsp://[fe80::1]/live");

  CHECK_FALSE(parse_url("http://cam/x"));
  auto bad_port = parse_url("rtsp://user:secret@cam:99999/x");
  REQUIRE_FALSE(bad_port);
  CHECK(bad_port.error().message.find("secret") == std::string::npos);
}

TEST_CASE("RTSP messages are parsed once complete, with their body", "[ingest]") {
  std::string text =
      "RTSP/1.0 200 OK\r\nCSeq: 3\r\ncontent-base: rtsp://cam/s/\r\nContent-Length: 5\r\n\r\nv=0\r\n$";
  Response r;
  CHECK(parse_message(std::string_view(text).substr(0, 30), r).value() == 0);
  CHECK(parse_message(std::string_view(text).substr(0, text.size() - 3), r).value() == 0);  // body incomplete
  auto used = parse_message(text, r);
  REQUIRE(used);
  CHECK(*used == text.size() - 1);
  CHECK(r.status == 200);
  CHECK(r.header("Content-Base") == "rtsp://cam/s/");
  CHECK(r.header("CSEQ") == "3");
  CHECK(r.body == "v=0\r\n");

  Response request;
  REQUIRE(parse_message("SET_PARAMETER rtsp://cam RTSP/1.0\r\nCSeq: 9\r\n\r\n", request).value() > 0);
  CHECK(request.status == 0);
  CHECK(request.reason == "SET_PARAMETER");
  CHECK_FALSE(parse_message("RTSP/1.0 abc\r\n\r\n", r));
}

TEST_CASE("Digest MD5 follows RFC 2617 and is preferred over Basic", "[ingest]") {
  auto c = parse_challenge({"Basic realm=\"x\"",
                            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""});
  REQUIRE(c);
  CHECK(c->scheme == Challenge::Scheme::Digest);
  CHECK(c->qop_auth);
  // RFC 2617 §3.5: Mufasa / "Circle Of Life".
  std::string header = authorization(*c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b");
  CHECK(header.find("response=\"6629fae49393a05397450978507c4ef1\"") != std::string::npos);
  CHECK(header.find("nc=00000001") != std::string::npos);
  CHECK(header.find("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"") != std::string::npos);

  // Without qop (RFC 2069 style): MD5(HA1:nonce:HA2).
  Challenge old{Challenge::Scheme::Digest, "r", "n", "", "", false, false};
  std::string expected = md5_hex(md5_hex("u:r:p") + ":n:" + md5_hex("DESCRIBE:rtsp://cam/x"));
  CHECK(authorization(old, "u", "p", "DESCRIBE", "rtsp://cam/x", 1, "c").find(expected) != std::string::npos);

  auto basic = parse_challenge({"Basic realm=\"cam\""});
  REQUIRE(basic);
  CHECK(authorization(*basic, "Aladdin", "open sesame", "DESCRIBE", "rtsp://x", 1, "") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK_FALSE(parse_challenge({"Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256"}));
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_CASE("SDP gives the tracks, their controls and the H.264, H.265 and AAC parameters", "[ingest]") {
  std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\na=control:*\r\n"
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
      "a=fmtp:96 packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=Z0LAHtkBQfsBEAAAAwAQAAADAyDxYuSA,aMuMsg==\r\n"
      "a=framerate:25\r\na=control:stream=0\r\n"
      "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\n"
      "a=fmtp:97 streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1190; SizeLength=13; IndexLength=3; IndexDeltaLength=3\r\n"
      "a=control:rtsp://cam/s/track2\r\n"
      "m=video 0 RTP/AVP 98\r\na=rtpmap:98 H265/90000\r\n"
      "a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ; sprop-sps=QgEBAWAAAAMAkAAAAwAAAwBdoAKAgC0WWVmkkyvAQAAAAwBAAAAGQg==; sprop-pps=RAHBcrRiQA==\r\n";
  auto parsed = parse_sdp(sdp).value();
  CHECK(parsed.control == "*");
  REQUIRE(parsed.media.size() == 3);
  const auto& v = parsed.media[0];
  CHECK(v.type == "video");
  CHECK(v.encoding == "H264");
  CHECK(v.clock_rate == 90000);
  CHECK(v.control == "stream=0");
  CHECK(v.frame_rate == 25);
  CHECK(v.fmtp.at("sprop-parameter-sets") == "Z0LAHtkBQfsBEAAAAwAQAAADAyDxYuSA,aMuMsg==");
  const auto& a = parsed.media[1];
  CHECK(a.encoding == "MPEG4-GENERIC");
  CHECK(a.clock_rate == 48000);
  CHECK(a.channels == 2);
  CHECK(a.fmtp.at("sizelength") == "13");
  CHECK(a.fmtp.at("config") == "1190");
  CHECK(parsed.media[2].encoding == "H265");
  CHECK(parsed.media[2].fmtp.count("sprop-pps") == 1);

  CHECK(resolve_control("rtsp://cam/s/", "stream=0") == "rtsp://cam/s/stream=0");
  CHECK(resolve_control("rtsp://cam/s", "stream=0") == "rtsp://cam/s/stream=0");
  CHECK(resolve_control("rtsp://cam/s/", "rtsp://cam/s/track2") == "rtsp://cam/s/track2");
  CHECK(resolve_control("rtsp://cam/s/", "*") == "rtsp://cam/s/");
  CHECK(base64_decode("aMuMsg==").value() == std::string("\x68\xcb\x8c\xb2", 4));
  CHECK(hex_decode("1190").value() == std::string("\x11\x90", 2));
  CHECK_FALSE(hex_decode("119"));
}
