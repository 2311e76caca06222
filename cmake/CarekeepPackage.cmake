# Installation layout and the Debian package (issue #8). Included last from the top level.
# `cmake --install` puts the binaries (their own install() rules), the systemd unit, the
# sysusers.d/tmpfiles.d entries and the sample configuration in the usual places; CPack turns
# the same rules into carekeep_<version>_<arch>.deb (tools/package.sh: a Release build of its
# own, or FROM=<tree> the binaries an already built tree holds, as the package test does with
# the CI's RelWithDebInfo tree). Only the component
# "carekeep" goes into the package: carekeep-fakecam (component "fakecam") is a test and demo
# tool that would drag GStreamer onto the NVR box.

# Debian keeps units and these drop-ins under /lib and /usr/lib whatever the prefix.
set(CAREKEEP_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where the systemd unit goes")
set(CAREKEEP_SYSUSERS_DIR "/usr/lib/sysusers.d" CACHE PATH "Where the sysusers.d entry goes")
set(CAREKEEP_TMPFILES_DIR "/usr/lib/tmpfiles.d" CACHE PATH "Where the tmpfiles.d entry goes")

# Directories decided when installing, not when configuring: the package is also made from
# the CI build tree (configured for /usr/local, packaged with prefix /usr), and /usr's
# configuration lives in /etc, as GNUInstallDirs has it. Sets _etc and _sbin in the install
# script; every install(CODE) below that needs them starts with it.
set(CAREKEEP_INSTALL_DIRS_CODE "
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_SYSCONFDIR}\")
    set(_etc \"${CMAKE_INSTALL_SYSCONFDIR}\")
  elseif(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\" OR CMAKE_INSTALL_PREFIX STREQUAL \"/\")
    set(_etc /etc)
  else()
    set(_etc \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}\")
  endif()
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_SBINDIR}\")
    set(_sbin \"${CMAKE_INSTALL_SBINDIR}\")
  else()
    set(_sbin \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}\")
  endif()
")

# carekeep-smart.{service,timer}: the hourly root oneshot that reads the footage disk's SMART
# health for carekeepd (which cannot open raw disks) into smart.json beside the index.
# The services name their binary and configuration by path; those follow the prefix of the
# install (CAREKEEP_INSTALL_DIRS_CODE), so a /usr/local install's units start
# /usr/local/sbin/carekeepd with /usr/local/etc/carekeep/carekeep.toml. For /usr (the
# package) the files are installed unchanged.
install(FILES ${PROJECT_SOURCE_DIR}/systemd/carekeep-smart.timer DESTINATION ${CAREKEEP_SYSTEMD_UNIT_DIR})
install(CODE "${CAREKEEP_INSTALL_DIRS_CODE}
  foreach(_unit carekeepd.service carekeep-smart.service)
    file(READ \"${PROJECT_SOURCE_DIR}/systemd/\${_unit}\" _text)
    string(REPLACE \"/usr/sbin/\" \"\${_sbin}/\" _text \"\${_text}\")
    string(REPLACE \"/etc/carekeep/\" \"\${_etc}/carekeep/\" _text \"\${_text}\")
    file(WRITE \"${PROJECT_BINARY_DIR}/packaging/units/\${_unit}\" \"\${_text}\")
    file(INSTALL \"${PROJECT_BINARY_DIR}/packaging/units/\${_unit}\" DESTINATION \"${CAREKEEP_SYSTEMD_UNIT_DIR}\"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()")
install(FILES ${PROJECT_SOURCE_DIR}/systemd/carekeep.sysusers DESTINATION ${CAREKEEP_SYSUSERS_DIR}
        RENAME carekeep.conf)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/carekeep.tmpfiles DESTINATION ${CAREKEEP_TMPFILES_DIR}
        RENAME carekeep.conf)

# The configuration holds camera passwords, so it is not world-readable (postinst gives it
# to group carekeep). An existing file is the operator's: `cmake --install` never replaces
# it; in the package dpkg's conffile handling does the same. Its directory follows the prefix
# of the install (CAREKEEP_INSTALL_DIRS_CODE).
install(CODE "${CAREKEEP_INSTALL_DIRS_CODE}
  set(_dest \"\$ENV{DESTDIR}\${_etc}/carekeep/carekeep.toml\")
  if(EXISTS \"\${_dest}\")
    message(STATUS \"Keeping existing: \${_dest}\")
  else()
    # file(INSTALL) puts DESTDIR (CPack's staging directory) in front of an absolute path itself.
    file(INSTALL \"${PROJECT_SOURCE_DIR}/etc/carekeep.toml\" DESTINATION \"\${_etc}/carekeep\"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  endif()")

# Debian wants a copyright file and a gzip -9n changelog.Debian.gz (the version has a
# Debian revision, -1) in the doc directory.
configure_file(${PROJECT_SOURCE_DIR}/packaging/deb/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
  COMMAND gzip -9nkf ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
  DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
  COMMENT "Compressing the Debian changelog")
add_custom_target(carekeep_doc_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/packaging/deb/copyright
              ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- CPack: one .deb ---------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "carekeep")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "carekeep")
set(CPACK_PACKAGE_CONTACT "carekeep maintainers <maintainers@carekeep.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "video retention for home childcare points")
set(CPACK_PACKAGE_DESCRIPTION
"carekeep records the RTSP cameras of a home childcare point without
re-encoding, keeps care-hours footage for at least 90 days in crash-safe
MP4 segments, indexes every segment in SQLite with a hash chain, and
checks that every room is covered during care hours. This package holds
the daemon carekeepd, its systemd unit and the carekeep command line tool.")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL carekeep)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_PACKAGE_NAME "carekeep")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE "1")
set(CPACK_DEBIAN_PACKAGE_SECTION "video")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://carekeep.invalid/")
# Depends are computed from the ELF files with dpkg-shlibdeps (FFmpeg, SQLite, libsystemd, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# The maintainer scripts fall back to useradd/groupadd and mkdir where systemd is missing.
# smartmontools' smartctl gives carekeep-smart the disk's SMART health; without it the daemon
# records and retains as usual, and `carekeep status` says SMART is not read.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd, smartmontools")
# Stripped whatever the build type: a RelWithDebInfo tree (CI) packages without its debug info.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
  ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
include(CPack)
