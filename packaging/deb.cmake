# CPack: the .deb packages for Debian and Ubuntu sites, with the RPM's layout.
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DHSM_BUILD_TESTS=OFF -DHSM_BUILD_BENCH=OFF
#   cmake --build build-deb && (cd build-deb && cpack -G DEB)
# gives lustre-hsm-action-stream_<version>_<arch>.deb (tools, unit, /etc conffiles, man pages,
# docs) and lustre-hsm-action-stream-dev_<version>_<arch>.deb (headers, library, CMake package).
# The project's default prefix is /usr/local, so the packages are built from a build configured
# with -DCMAKE_INSTALL_PREFIX=/usr (CPack installs under /usr either way; the prefix decides
# GNUInstallDirs' multiarch libdir).
set(CPACK_PACKAGE_NAME ${PROJECT_NAME})
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "lustre-hsm-action-stream")
# The Maintainer of every .deb (and the copyright file's Upstream-Contact): set it to whoever
# builds and answers for the site's packages, e.g. -DHSM_PACKAGE_MAINTAINER="HPC team <hpc@example.org>".
set(HSM_PACKAGE_MAINTAINER
    "lustre-hsm-action-stream maintainers <lustre-hsm-action-stream@users.noreply.github.com>"
    CACHE STRING "Maintainer of the .deb packages: \"Name <email>\"")
set(CPACK_PACKAGE_CONTACT "${HSM_PACKAGE_MAINTAINER}")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it above every package's own
# description (below), and each package's summary is the first line of its own.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Every install component becomes a package: tools, consume-dev, and python once the Python API
# installs with COMPONENT python (python3-lustre-hsm-action-stream).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Executables and the Python module stripped of their symbol tables (policy 10.1; the RPM gets the
# same from rpmbuild, which moves them to its -debuginfo package).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ${PROJECT_NAME})
set(CPACK_DEBIAN_CONSUME-DEV_PACKAGE_NAME ${PROJECT_NAME}-dev)
set(CPACK_DEBIAN_CONSUME-DEV_PACKAGE_DEPENDS
    "libhiredis-dev, libsimdjson-dev, libspdlog-dev")
set(CPACK_DEBIAN_CONSUME-DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-${PROJECT_NAME})
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
# One description per package, in the words of the RPM spec's %description sections; the first
# line is the summary dpkg shows.
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
    "Lustre HSM hsm/actions logs to per-MDT Redis streams, with monitoring tools
hsm-action-shipper runs on every Lustre MDS and turns each MDT's volatile hsm/actions log into a
Redis stream (hsm:actions:<mdt>) of new, changed and finished HSM actions. hsm-action-top,
hsm-stream-tail and hsm-stream-stats (for Telegraf) watch those streams from any node;
hsm-action-simulate makes a fake MDT tree for demos and tests.")
set(CPACK_DEBIAN_CONSUME-DEV_DESCRIPTION
    "C++ consumer API of the Lustre HSM action streams
Headers, static library, CMake package (find_package(HsmActionStream)) and pkg-config file of
the consumer API (StreamReader, LiveState), with the failed-alerter example.")
set(CPACK_DEBIAN_PYTHON_DESCRIPTION
    "Python API of the Lustre HSM action streams
The lustre_hsm_action_stream Python module (StreamReader), built on the C++ consumer API.")
# The module is built for this build's Python (an extension module loads in that version only).
if(DEFINED Python3_VERSION_MAJOR AND DEFINED Python3_VERSION_MINOR)
  math(EXPR hsm_python_next "${Python3_VERSION_MINOR} + 1")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
      "python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}), python3 (<< ${Python3_VERSION_MAJOR}.${hsm_python_next})")
endif()

# conffiles (dpkg keeps an admin's edits on upgrade, as %config(noreplace) does for the RPM) and
# the systemd maintainer scripts, generated from the same list of /etc files.
set(deb_dir ${CMAKE_CURRENT_BINARY_DIR}/deb)
set(conffiles "")
foreach(f ${generated_configs})
  get_filename_component(name ${f} NAME)
  string(APPEND conffiles "${HSM_CONFIG_DIR}/${name}\n")
endforeach()
file(WRITE ${deb_dir}/conffiles "${conffiles}")
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/deb/${script} ${deb_dir}/${script} @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                  WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_TOOLS_PACKAGE_CONTROL_EXTRA
    ${deb_dir}/conffiles ${deb_dir}/postinst ${deb_dir}/prerm ${deb_dir}/postrm)
# Gzipped man pages and /usr/share/doc/<package>/copyright in every .deb (deb_stage.cmake).
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/deb/copyright.in ${deb_dir}/copyright @ONLY)
set(CPACK_HSM_DEB_COPYRIGHT ${deb_dir}/copyright)
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_SOURCE_DIR}/deb_stage.cmake)
include(CPack)
