# install.cmake — what `cmake --install` puts under the prefix (GNUInstallDirs),
# everything found relative to the programs, no source tree needed:
#   bin/                 charnn-train, charnn-sample, charnn-prep (RPATH: the
#                        libraries they were linked with, e.g. the modules' ones),
#                        charnn-launch (launch/charnn), charnn-sweep (launch/sweep)
#   share/charnn/        slurm/ (the batch scripts, requeue.sh), configs/, tools/
#                        (the sweep's CSV and plot scripts), launch/charnn and
#                        launch/sweep (links to the two commands): laid out as
#                        the repository is, so the scripts work from either
#   share/doc/charnn/    README.md, docs/
#   share/man/man1/      a man page per command, made from its --help at build time
#   share/modulefiles/charnn/VERSION.lua
#                        an Lmod modulefile for this prefix: PATH, MANPATH,
#                        CHARNN_SHARE, and depends_on() for CHARNN_MODULE_DEPS
# Included from CMakeLists.txt after the programs are defined.
include(GNUInstallDirs)

set(CHARNN_PROGRAMS charnn-train charnn-sample charnn-prep)
# The installed programs find their libraries where they were linked (module
# prefixes are not in the loader's path once the modules are unloaded).
set_target_properties(${CHARNN_PROGRAMS} PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS ${CHARNN_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The two scripts, with the one line that says where share/charnn lies from
# bin/ rewritten for this layout (the scripts carry ../share/charnn).
set(CHARNN_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/charnn)
file(RELATIVE_PATH CHARNN_SHARE_FROM_BIN ${CMAKE_INSTALL_FULL_BINDIR}
  ${CMAKE_INSTALL_FULL_DATADIR}/charnn)
foreach(pair "charnn;charnn-launch" "sweep;charnn-sweep")
  list(GET pair 0 src)
  list(GET pair 1 cmd)
  file(READ ${PROJECT_SOURCE_DIR}/launch/${src} text)
  string(REPLACE "\nshare_from_bin=../share/charnn\n" "\nshare_from_bin=${CHARNN_SHARE_FROM_BIN}\n"
    text "${text}")
  file(WRITE ${CMAKE_BINARY_DIR}/installed-text/${cmd} "${text}")
  file(COPY ${CMAKE_BINARY_DIR}/installed-text/${cmd} DESTINATION ${CMAKE_BINARY_DIR}/installed
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/launch/${src})
  install(PROGRAMS ${CMAKE_BINARY_DIR}/installed/${cmd} DESTINATION ${CMAKE_INSTALL_BINDIR})
  # share/charnn/launch/<src> -> the command, relative, so the prefix can move
  file(RELATIVE_PATH link_target ${CMAKE_INSTALL_FULL_DATADIR}/charnn/launch
    ${CMAKE_INSTALL_FULL_BINDIR}/${cmd})
  install(CODE "file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CHARNN_SHARE_DIR}/launch\")
    file(CREATE_LINK \"${link_target}\"
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CHARNN_SHARE_DIR}/launch/${src}\" SYMBOLIC)")
endforeach()

install(FILES slurm/requeue.sh DESTINATION ${CHARNN_SHARE_DIR}/slurm)
file(GLOB CHARNN_SBATCH ${PROJECT_SOURCE_DIR}/slurm/*.sbatch)
install(PROGRAMS ${CHARNN_SBATCH} DESTINATION ${CHARNN_SHARE_DIR}/slurm)
install(DIRECTORY configs/ DESTINATION ${CHARNN_SHARE_DIR}/configs FILES_MATCHING PATTERN "*.ini")
install(PROGRAMS tools/scaling_csv.py tools/plot_scaling.py tools/plot_metrics.py
  DESTINATION ${CHARNN_SHARE_DIR}/tools)
install(FILES tools/mpl.py DESTINATION ${CHARNN_SHARE_DIR}/tools)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

# Man pages from --help (cmake/manpage.cmake), rebuilt when the program is.
set(CHARNN_MAN_PAGES "")
foreach(cmd ${CHARNN_PROGRAMS} charnn-launch charnn-sweep)
  if(TARGET ${cmd})
    set(exe $<TARGET_FILE:${cmd}>)
    set(dep ${cmd})
  else()
    set(exe ${CMAKE_BINARY_DIR}/installed/${cmd})
    set(dep ${exe})
  endif()
  set(page ${CMAKE_BINARY_DIR}/man/${cmd}.1)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_COMMAND} -E env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
      ASAN_OPTIONS=detect_leaks=0
      ${CMAKE_COMMAND} -DEXE=${exe} -DNAME=${cmd} -DVERSION=${PROJECT_VERSION} -DOUT=${page}
      -P ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
    DEPENDS ${dep} ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
    COMMENT "man page ${cmd}.1 from ${cmd} --help" VERBATIM)
  list(APPEND CHARNN_MAN_PAGES ${page})
endforeach()
add_custom_target(charnn-man ALL DEPENDS ${CHARNN_MAN_PAGES})
install(FILES ${CHARNN_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The modulefile: the modules loaded at configure time are its dependencies
# unless CHARNN_MODULE_DEPS says otherwise (";"-separated, "" for none).
string(REPLACE ":" ";" charnn_loaded "$ENV{LOADEDMODULES}")
set(CHARNN_MODULE_DEPS "${charnn_loaded}" CACHE STRING
  "modules the installed modulefile loads (depends_on); default: those loaded when configured")
set(CHARNN_MODULE_DEPENDS "")
foreach(m ${CHARNN_MODULE_DEPS})
  string(APPEND CHARNN_MODULE_DEPENDS "depends_on(\"${m}\")\n")
endforeach()
set(CHARNN_MODULE_PREFIX "@CHARNN_MODULE_PREFIX@") # filled in at install time
configure_file(${PROJECT_SOURCE_DIR}/cmake/charnn.lua.in ${CMAKE_BINARY_DIR}/installed/modulefile.lua @ONLY)
set(CHARNN_MODULE_DIR ${CMAKE_INSTALL_DATADIR}/modulefiles/charnn)
install(CODE "file(READ \"${CMAKE_BINARY_DIR}/installed/modulefile.lua\" text)
  string(REPLACE \"@CHARNN_MODULE_PREFIX@\" \"\${CMAKE_INSTALL_PREFIX}\" text \"\${text}\")
  set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CHARNN_MODULE_DIR}/${PROJECT_VERSION}.lua\")
  message(STATUS \"Installing: \${dest}\")
  file(WRITE \"\${dest}\" \"\${text}\")")
