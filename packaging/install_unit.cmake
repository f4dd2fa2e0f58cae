# Install-time step: writes the systemd unit with ExecStart pointing at the bindir of the
# prefix actually installed to (`cmake --install --prefix` may differ from the configured one).
# The unit in contrib/ names /usr/sbin, where the packages put the shipper.
file(READ ${UNIT_SOURCE} unit)
if(IS_ABSOLUTE "${SBINDIR}")
  set(full_sbindir "${SBINDIR}")
else()
  set(full_sbindir "${CMAKE_INSTALL_PREFIX}/${SBINDIR}")
endif()
string(REPLACE "/usr/sbin/" "${full_sbindir}/" unit "${unit}")
file(WRITE ${UNIT_OUTPUT} "${unit}")
