# SPDX-License-Identifier: Apache-2.0
# criterion_discover_tests(<target>): after each build, list the Criterion
# tests of <target> and register each one with ctest, the way
# gtest_discover_tests does for GoogleTest.  A filter that matches nothing
# still exits 0 in Criterion, so "Tested: 0" is made a failure.
set(_IOM_CRITERION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/CriterionDiscoverScript.cmake)

function(criterion_discover_tests target)
  set(_out ${CMAKE_CURRENT_BINARY_DIR}/${target}_criterion_tests.cmake)
  set(_inc ${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D EXE=$<TARGET_FILE:${target}> -D OUT=${_out}
            -D PREFIX=${target}: -P ${_IOM_CRITERION_SCRIPT}
    VERBATIM)
  file(WRITE ${_inc}
    "if(EXISTS \"${_out}\")\n  include(\"${_out}\")\nelse()\n  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${_inc})
endfunction()
