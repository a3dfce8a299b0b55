# `cmake --install`: the program, its data (found relative to the program, see
# src/code/catalog.cpp), the manual page and the documentation.
install(TARGETS microstamp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/microstamp COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/docs/microstamp.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
file(GLOB microstamp_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md ${PROJECT_SOURCE_DIR}/docs/openapi.json)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${microstamp_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
