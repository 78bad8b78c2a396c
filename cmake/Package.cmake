# Installs the CMake package and the pkg-config file for the targets exported as
# cloudcix_drivers_targets. Imported names: cloudcix_drivers::cloudcix_drivers (C++, static),
# cloudcix_drivers::cloudcix_drivers_shared, cloudcix_drivers::cloudcix_drivers_c (C API, static)
# and cloudcix_drivers::cloudcix_drivers_c_shared.
include(CMakePackageConfigHelpers)
set(CCX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cloudcix_drivers)

install(EXPORT cloudcix_drivers_targets NAMESPACE cloudcix_drivers::
  FILE cloudcix_driversTargets.cmake DESTINATION ${CCX_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/cloudcix_driversConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cloudcix_driversConfig.cmake INSTALL_DESTINATION ${CCX_CMAKE_DIR})
# 0.x: minor versions may break the ABI.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cloudcix_driversConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cloudcix_driversConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/cloudcix_driversConfigVersion.cmake DESTINATION ${CCX_CMAKE_DIR})

# The .pc file finds the prefix from its own place, so `cmake --install --prefix X` works.
file(RELATIVE_PATH CCX_PC_PREFIX /ccx/${CMAKE_INSTALL_LIBDIR}/pkgconfig /ccx)
configure_file(${CMAKE_CURRENT_LIST_DIR}/cloudcix_drivers.pc.in ${CMAKE_CURRENT_BINARY_DIR}/cloudcix_drivers.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cloudcix_drivers.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
