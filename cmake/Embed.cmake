# Writes OUTPUT, a header holding the text of INPUT as a string view.
file(READ ${INPUT} content)
set(delim "harmsim_toml")
file(WRITE ${OUTPUT}
  "#pragma once\n// Generated from scenarios/compare.toml by cmake/Embed.cmake. Do not edit.\n"
  "#include <string_view>\n"
  "inline constexpr std::string_view kEmbeddedCompareToml = R\"${delim}(${content})${delim}\";\n")
