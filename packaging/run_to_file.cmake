# Runs COMMAND (a ;-list) and writes its standard output to OUTPUT; fails the build when the
# command fails. Used to generate the man pages and /etc files from the built tools.
execute_process(COMMAND ${COMMAND} OUTPUT_FILE ${OUTPUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.tmp)
  message(FATAL_ERROR "${COMMAND} failed (${rc})")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
