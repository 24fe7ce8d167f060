# SPDX-License-Identifier: Apache-2.0
# Helpers that keep every folder's CMakeLists.txt to a line or two.

# iom_add_library(<name> [DEPS <targets...>])
# One static library from all *.c files of the calling folder; its folder and
# the top-level sim/ are on the include path of whoever links it.
function(iom_add_library name)
  cmake_parse_arguments(A "" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  if(_srcs)
    add_library(${name} STATIC ${_srcs})
    target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${A_DEPS})
  else() # headers only (so far)
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${A_DEPS})
  endif()
endfunction()

# iom_add_test_dir(): one Criterion executable per tests/<area>/test_*.c,
# each Criterion test registered with ctest as <exe>:<suite>::<test>.
include(CriterionDiscover)
function(iom_add_test_dir)
  file(GLOB _tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_*.c)
  foreach(_src ${_tests})
    get_filename_component(_name ${_src} NAME_WE)
    add_executable(${_name} ${_src})
    target_link_libraries(${_name} PRIVATE iommusim_all PkgConfig::CRITERION)
    target_compile_definitions(${_name} PRIVATE
      IOM_SOURCE_DIR="${PROJECT_SOURCE_DIR}" IOM_BINARY_DIR="${PROJECT_BINARY_DIR}")
    criterion_discover_tests(${_name})
    # A test that runs the real command (IOMMUSIM, tools-test.h) needs it built.
    file(READ ${_src} _text)
    string(FIND "${_text}" "IOMMUSIM" _uses_cli)
    string(FIND "${_text}" "tools-test.h" _uses_fixture)
    if(TARGET iommusim AND (NOT _uses_cli EQUAL -1 OR NOT _uses_fixture EQUAL -1))
      add_dependencies(${_name} iommusim)
    endif()
  endforeach()
endfunction()
