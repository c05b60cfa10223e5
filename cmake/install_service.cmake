# Run by `cmake --install` (component "server"): installs maydayd's systemd
# unit and its settings file where a system looks for them. With the prefix
# /usr (the packages) they go to /lib/systemd/system and /etc/mayday, as
# Debian's own services do; with any other prefix (/usr/local, a test's
# temp folder) under it. The unit names the maydayd of this prefix.
# MAYDAY_DEPLOY_DIR and MAYDAY_STAGE_DIR are set by the install rule that
# includes this file.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unit_dir "/lib/systemd/system")
  set(conf_dir "/etc/mayday")
else()
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  set(conf_dir "${CMAKE_INSTALL_PREFIX}/etc/mayday")
endif()

file(READ "${MAYDAY_DEPLOY_DIR}/systemd/maydayd.service" unit)
string(REPLACE "/usr/bin/maydayd " "${CMAKE_INSTALL_PREFIX}/bin/maydayd " unit "${unit}")
string(REPLACE "/etc/mayday/maydayd.conf" "${conf_dir}/maydayd.conf" unit "${unit}")
file(MAKE_DIRECTORY "${MAYDAY_STAGE_DIR}")
file(WRITE "${MAYDAY_STAGE_DIR}/maydayd.service" "${unit}")

# file(INSTALL) puts $DESTDIR in front, as CPack's staging needs.
file(INSTALL "${MAYDAY_STAGE_DIR}/maydayd.service" DESTINATION "${unit_dir}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Settings an operator has already edited are never overwritten (the
# packages leave that to dpkg, which asks).
if(EXISTS "$ENV{DESTDIR}${conf_dir}/maydayd.conf")
  message(STATUS "Kept: $ENV{DESTDIR}${conf_dir}/maydayd.conf (already there)")
else()
  file(INSTALL "${MAYDAY_DEPLOY_DIR}/maydayd.conf" DESTINATION "${conf_dir}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
