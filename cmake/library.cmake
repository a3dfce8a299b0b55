# libmicrostamp: the public API (include/microstamp/) as a shared library. It is made of
# the stage libraries (position-independent code) and exports only what the public
# header marks MICROSTAMP_API; every stage symbol stays hidden.
foreach(stage code surface die physics read evidence)
  set_target_properties(microstamp_${stage} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endforeach()
add_library(microstamp_library SHARED ${PROJECT_SOURCE_DIR}/src/api/microstamp.cpp)
add_library(microstamp::microstamp ALIAS microstamp_library)
set_target_properties(microstamp_library PROPERTIES
  OUTPUT_NAME microstamp
  EXPORT_NAME microstamp
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)
target_compile_features(microstamp_library PUBLIC cxx_std_20)
target_compile_options(microstamp_library PRIVATE ${MICROSTAMP_WARNINGS})
target_include_directories(microstamp_library PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(microstamp_library PRIVATE
  microstamp_die microstamp_physics microstamp_read microstamp_evidence fmt::fmt nlohmann_json::nlohmann_json)
target_link_options(microstamp_library PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)

include(CMakePackageConfigHelpers)
set(MICROSTAMP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/microstamp)
install(TARGETS microstamp_library EXPORT microstamp_targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/microstamp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT development)
install(EXPORT microstamp_targets NAMESPACE microstamp:: FILE microstamp-targets.cmake
  DESTINATION ${MICROSTAMP_CMAKE_DIR} COMPONENT development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/microstamp-config.cmake.in
  ${PROJECT_BINARY_DIR}/microstamp-config.cmake INSTALL_DESTINATION ${MICROSTAMP_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/microstamp-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/microstamp-config.cmake ${PROJECT_BINARY_DIR}/microstamp-config-version.cmake
  DESTINATION ${MICROSTAMP_CMAKE_DIR} COMPONENT development)
configure_file(${PROJECT_SOURCE_DIR}/cmake/microstamp.pc.in ${PROJECT_BINARY_DIR}/microstamp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/microstamp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT development)
