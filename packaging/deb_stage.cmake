# CPack runs this (CPACK_PRE_BUILD_SCRIPTS) on the staged files of each .deb before packing them:
# what Debian policy asks of a .deb and not of `cmake --install` or the RPM (whose rpmbuild
# compresses man pages itself, and which carries COPYING as %license):
# - man pages gzipped with -9n (policy 12.1; -n: no name or time stamp, so a rebuild is the same);
# - /usr/share/doc/<package>/copyright (policy 12.5), the machine-readable file made from
#   packaging/deb/copyright.in, in every package, and each package's docs under its own name.
# Components are staged under ${CPACK_TEMPORARY_INSTALL_DIRECTORY}/<component>.
file(GLOB components LIST_DIRECTORIES true "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
foreach(stage ${components})
  if(NOT IS_DIRECTORY "${stage}")
    continue()
  endif()
  get_filename_component(component "${stage}" NAME)
  string(TOUPPER "${component}" upper)
  set(package "${CPACK_DEBIAN_${upper}_PACKAGE_NAME}")
  if(package STREQUAL "")
    message(FATAL_ERROR "deb_stage.cmake: no CPACK_DEBIAN_${upper}_PACKAGE_NAME for component ${component}")
  endif()
  file(GLOB pages "${stage}${CPACK_PACKAGING_INSTALL_PREFIX}/share/man/man[1-9]/*.[1-9]")
  foreach(page ${pages})
    execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "deb_stage.cmake: gzip ${page} failed")
    endif()
  endforeach()
  set(doc_root "${stage}${CPACK_PACKAGING_INSTALL_PREFIX}/share/doc")
  # The install rules (shared with `cmake --install` and the RPM) put every component's docs under
  # the project's doc directory; a .deb writes only under its own (the -dev package's examples
  # would otherwise land in the main package's directory without depending on it).
  if(NOT package STREQUAL CPACK_PACKAGE_NAME AND IS_DIRECTORY "${doc_root}/${CPACK_PACKAGE_NAME}"
     AND NOT EXISTS "${doc_root}/${package}")
    file(RENAME "${doc_root}/${CPACK_PACKAGE_NAME}" "${doc_root}/${package}")
  endif()
  file(MAKE_DIRECTORY "${doc_root}/${package}")
  file(COPY_FILE "${CPACK_HSM_DEB_COPYRIGHT}" "${doc_root}/${package}/copyright" ONLY_IF_DIFFERENT)
endforeach()
