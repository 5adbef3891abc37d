# Installs the runtime for embedding: one self-contained static library
# (lib/libtessel_runtime.a: the runtime and the Abseil code it uses), the public headers,
# tessel-run, and a CMake package (find_package(Tessel) -> Tessel::Runtime).
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

get_property(tessel_absl_archives GLOBAL PROPERTY TESSEL_STATIC_ABSL_ARCHIVES)
list(REMOVE_DUPLICATES tessel_absl_archives)
set(tessel_runtime_parts tessel_runtime_api tessel_cuda tessel_cuda_base tessel_ptx tessel_exec
    tessel_vm)
set(tessel_merged ${PROJECT_BINARY_DIR}/libtessel_runtime.a)
set(tessel_mri "CREATE ${tessel_merged}\n")
foreach(part IN LISTS tessel_runtime_parts)
  string(APPEND tessel_mri "ADDLIB $<TARGET_FILE:${part}>\n")
endforeach()
foreach(archive IN LISTS tessel_absl_archives)
  string(APPEND tessel_mri "ADDLIB ${archive}\n")
endforeach()
string(APPEND tessel_mri "SAVE\nEND\n")
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/libtessel_runtime.mri CONTENT "${tessel_mri}")
add_custom_command(
  OUTPUT ${tessel_merged}
  COMMAND ${CMAKE_COMMAND} -E remove -f ${tessel_merged}
  COMMAND sh -c "${CMAKE_AR} -M < libtessel_runtime.mri"
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
  DEPENDS ${tessel_runtime_parts} ${PROJECT_BINARY_DIR}/libtessel_runtime.mri
  COMMENT "libtessel_runtime.a (runtime + Abseil, self-contained)"
  VERBATIM)
add_custom_target(tessel_runtime_archive ALL DEPENDS ${tessel_merged})

install(FILES ${tessel_merged} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tessel DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tessel-run RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET tessel-bench)
  install(TARGETS tessel-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/TesselConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TesselConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Tessel)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TesselConfigVersion.cmake
  VERSION 0.1.0 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TesselConfig.cmake ${PROJECT_BINARY_DIR}/TesselConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Tessel)
