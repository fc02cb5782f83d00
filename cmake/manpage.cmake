# manpage.cmake — cmake -P script: a man page (roff) from a command's --help.
#   cmake -DEXE=program -DNAME=charnn-train -DVERSION=0.1.0 -DOUT=file.1 -P manpage.cmake
# The help text goes in
# verbatim (.nf), the scripts' repository names (launch/charnn, launch/sweep)
# as the installed commands' (charnn-launch, charnn-sweep); backslashes and lines starting with '.' or "'" are escaped for roff.
# A program that cannot run here (e.g. an MPI that cannot start a singleton on
# this login node) gets a page that says so instead of failing the build.
execute_process(COMMAND ${EXE} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR help STREQUAL "")
  message(WARNING "${EXE} --help failed (${rc}): ${err}; ${NAME}.1 only points to --help")
  set(help "(${NAME} --help could not run when this page was made: run it for the options)\n")
endif()
string(REPLACE "launch/charnn" "charnn-launch" help "${help}")
string(REPLACE "launch/sweep" "charnn-sweep" help "${help}")
string(REPLACE "\\" "\\e" help "${help}")
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
string(TOUPPER "${NAME}" title)
file(WRITE ${OUT} ".TH ${title} 1 \"\" \"charnn ${VERSION}\" \"charnn manual\"
.SH NAME
${NAME} \\- charnn: data-parallel character-level RNN training
.SH DESCRIPTION
.nf
${help}
.fi
.SH SEE ALSO
charnn-train(1), charnn-sample(1), charnn-prep(1), charnn-launch(1), charnn-sweep(1);
README.md and docs/ in the documentation folder (share/doc/charnn)
")
