# Install rules of the server (component "server": maydayd, maydayctl, their
# manual pages, the systemd unit and its settings file) and the Debian
# packages CPack makes of it and of the SDK (component "sdk", installed by the
# top-level CMakeLists.txt): `tools/dev package`, or `cpack` in the build
# folder, writes mayday-server_VERSION_ARCH.deb, libmayday-sdk-dev_VERSION_ARCH.deb
# and libmayday0_VERSION_ARCH.deb (libmayday.so.0, the C ABI).
# docs/deploy.md, "Installing".
set(MAYDAY_PACKAGE_MAINTAINER "Mayday developers <maintainers@mayday.invalid>"
    CACHE STRING "Maintainer field of the .deb packages: whoever builds and ships them")

install(TARGETS maydayd maydayctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
install(CODE "set(MAYDAY_DEPLOY_DIR \"${PROJECT_SOURCE_DIR}/deploy\")
set(MAYDAY_STAGE_DIR \"${PROJECT_BINARY_DIR}/deploy\")" COMPONENT server)
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_service.cmake COMPONENT server)

# Manual pages, from each program's --help and --version and the sections in
# deploy/man (help2man). Without help2man the build leaves them out and says so.
find_program(HELP2MAN help2man)
set(mayday_doc_dir ${PROJECT_BINARY_DIR}/deploy)
if(HELP2MAN)
  foreach(program maydayd maydayctl)
    set(page ${mayday_doc_dir}/${program}.1.gz)
    add_custom_command(OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${mayday_doc_dir}
      COMMAND ${HELP2MAN} --no-info --section 1 --source "Mayday ${PROJECT_VERSION}"
              --include ${PROJECT_SOURCE_DIR}/deploy/man/${program}.h2m
              --output ${mayday_doc_dir}/${program}.1 $<TARGET_FILE:${program}>
      COMMAND gzip -9nf ${mayday_doc_dir}/${program}.1
      DEPENDS ${program} ${PROJECT_SOURCE_DIR}/deploy/man/${program}.h2m
      COMMENT "Manual page of ${program}")
    list(APPEND mayday_pages ${page})
  endforeach()
  add_custom_target(mayday_manual_pages ALL DEPENDS ${mayday_pages})
  install(FILES ${mayday_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT server)
else()
  message(STATUS "help2man not found: no manual pages for maydayd and maydayctl")
endif()

# What Debian wants beside each package's files: its copyright and its
# changelog (gzip -9n), in /usr/share/doc/PACKAGE; the server's also carries
# the operations guide.
configure_file(${PROJECT_SOURCE_DIR}/deploy/debian/copyright.in ${mayday_doc_dir}/copyright @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/deploy/debian/changelog.in ${mayday_doc_dir}/changelog @ONLY)
add_custom_command(OUTPUT ${mayday_doc_dir}/changelog.gz ${mayday_doc_dir}/operations.md.gz
  COMMAND gzip -9n -c ${mayday_doc_dir}/changelog > ${mayday_doc_dir}/changelog.gz
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/docs/operations.md > ${mayday_doc_dir}/operations.md.gz
  DEPENDS ${mayday_doc_dir}/changelog ${PROJECT_SOURCE_DIR}/docs/operations.md
  COMMENT "Package documents")
add_custom_target(mayday_package_docs ALL
  DEPENDS ${mayday_doc_dir}/changelog.gz ${mayday_doc_dir}/operations.md.gz)
install(FILES ${mayday_doc_dir}/copyright ${mayday_doc_dir}/changelog.gz
  ${mayday_doc_dir}/operations.md.gz
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/mayday-server COMPONENT server)
install(FILES ${mayday_doc_dir}/copyright ${mayday_doc_dir}/changelog.gz
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libmayday-sdk-dev COMPONENT sdk)

# libmayday.so.0 (the C ABI for FFI users) in component "runtime", its
# libmayday.so link for building against it with the SDK's files.
if(TARGET mayday_shared)
  install(TARGETS mayday_shared
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT sdk)
  install(FILES ${mayday_doc_dir}/copyright ${mayday_doc_dir}/changelog.gz
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libmayday0 COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/libmayday0/lintian-overrides
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME libmayday0
    COMPONENT runtime)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mayday)
set(CPACK_PACKAGE_VENDOR "The Mayday developers")
set(CPACK_PACKAGE_CONTACT "${MAYDAY_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
# The unit and the settings go outside the prefix (install_service.cmake):
# stage with DESTDIR and the prefix /usr.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server sdk runtime)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME mayday-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/deploy/debian/postinst ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_COMPONENT_SERVER_DESCRIPTION "server for roadside and medical panic alerts
maydayd takes panic alerts from members' phones, stores each case durably,
offers it to the nearest available crew that can help and streams every step
back to the phone and to the care desk, on SQLite or on PostgreSQL with
replicas. maydayctl is the care desk's command line. The package runs
maydayd as a systemd service under its own user, with its settings in
/etc/mayday/maydayd.conf and its database in /var/lib/mayday.")

set(CPACK_DEBIAN_SDK_PACKAGE_NAME libmayday-sdk-dev)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS
  "libmayday0 (= ${PROJECT_VERSION}), libgrpc++-dev, libprotobuf-dev, libabsl-dev, libsqlite3-dev")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libmayday0)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# Its shlibs file (what a package built against it depends on) and the
# ldconfig trigger, as Debian's own libraries carry them.
set(mayday_lib_control ${PROJECT_SOURCE_DIR}/deploy/debian/libmayday0)
configure_file(${mayday_lib_control}/shlibs.in ${mayday_doc_dir}/libmayday0/shlibs @ONLY)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${mayday_doc_dir}/libmayday0/shlibs
  ${mayday_lib_control}/triggers ${mayday_lib_control}/postinst ${mayday_lib_control}/postrm)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "member SDK for Mayday panic alerts, C ABI shared library
libmayday.so.0 exports the C interface of the Mayday member SDK (mayday.h)
and nothing else, for apps that load it through a foreign function
interface: raise a roadside or medical alert, follow its case, with an
offline queue that keeps an alert until the server has it.")
set(CPACK_COMPONENT_SDK_DESCRIPTION "member SDK for Mayday panic alerts (C and C++)
The library an app links to raise a roadside or medical alert with a Mayday
server and follow its case: a C++ client and a C interface, with an offline
queue that keeps an alert until the server has it. Static libraries, headers,
a CMake package (find_package(mayday CONFIG)) and a pkg-config file.")

include(CPack)
