# `cpack -G DEB` in the build folder: microstamp_VERSION_amd64.deb (program, data,
# library, headers, CMake and pkg-config files) and python3-microstamp_VERSION_amd64.deb.
# Library dependencies are found by dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME microstamp)
set(CPACK_PACKAGE_VENDOR "microstamp")
set(CPACK_PACKAGE_CONTACT "microstamp maintainers <microstamp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Firearm microstamping: encode, simulate, read and record microstamps")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_COMPONENTS_ALL runtime development python)
set(CPACK_COMPONENT_RUNTIME_GROUP microstamp)
set(CPACK_COMPONENT_DEVELOPMENT_GROUP microstamp)
set(CPACK_COMPONENT_PYTHON_GROUP python3-microstamp)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_DEBIAN_MICROSTAMP_PACKAGE_NAME microstamp)
set(CPACK_DEBIAN_PYTHON3-MICROSTAMP_PACKAGE_NAME python3-microstamp)
set(CPACK_DEBIAN_PYTHON3-MICROSTAMP_PACKAGE_SECTION python)
# The module links libmicrostamp, which dpkg-shlibdeps cannot resolve inside the package
# being built; its dependencies are declared here instead.
set(CPACK_DEBIAN_PYTHON3-MICROSTAMP_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PYTHON3-MICROSTAMP_PACKAGE_DEPENDS
  "microstamp (= ${PROJECT_VERSION}), python3 (>= 3.11), python3 (<< 3.12), python3-numpy, libc6, libstdc++6")
include(CPack)
