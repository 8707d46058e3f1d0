/* pyproject: toml++ behind a C interface (see pyproject.h).  No exception
 * leaves this file. */
#include "pyproject.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <toml++/toml.h>

extern "C" {
#include "inifile.h"
}

namespace {

int add(struct ini_entries *out, const std::string &key,
	const std::string &value, int line, int is_list, enum ini_toml toml)
{
	if (inifile_entries_add(out, key.c_str(), value.c_str(), line,
				is_list) < 0) {
		return -1;
	}
	out->v[out->n - 1].toml = toml;
	return 0;
}

/* What n is in native TOML (an array's kind is the caller's). */
enum ini_toml scalar_kind(const toml::node &n)
{
	if (n.is_string()) {
		return INI_TOML_STRING;
	}
	if (n.is_integer()) {
		return INI_TOML_INTEGER;
	}
	if (n.is_boolean()) {
		return INI_TOML_BOOL;
	}
	return INI_TOML_FLOAT;
}

/* Text of a scalar as Python's str() gives it; false when not a scalar
 * pytest would accept. */
bool scalar_text(const toml::node &n, std::string &out)
{
	if (auto s = n.as_string()) {
		out = s->get();
		return true;
	}
	if (auto i = n.as_integer()) {
		out = std::to_string(i->get());
		return true;
	}
	if (auto b = n.as_boolean()) {
		out = b->get() ? "True" : "False";
		return true;
	}
	if (auto f = n.as_floating_point()) {
		char buf[64];

		std::snprintf(buf, sizeof(buf), "%.17g", f->get());
		out = buf;
		return true;
	}
	return false;
}

int fail_at(const toml::node &n, const char *name, const std::string &key,
	    const char *why, char *err, size_t errlen)
{
	std::snprintf(err, errlen, "%s:%u:%u: %s: %s", name,
		      n.source().begin.line, n.source().begin.column,
		      key.c_str(), why);
	return -1;
}

/* native: the table is pytest 9's native TOML (each entry says what its
 * value was), else ini mode (text). */
int read_table(const toml::table &t, const char *name,
	       struct ini_entries *out, char *err, size_t errlen,
	       const char *skip, bool native)
{
	for (auto &&[k, v] : t) {
		std::string key(k.str());
		std::string text;
		int line = (int)v.source().begin.line;

		if (skip != nullptr && key == skip) {
			continue;
		}
		if (auto arr = v.as_array()) {
			bool first = true;
			enum ini_toml kind = INI_TOML_STRINGS;

			for (auto &&item : *arr) {
				std::string one;

				if (!scalar_text(item, one)) {
					return fail_at(item, name, key,
						       "arrays may hold only "
						       "strings and numbers",
						       err, errlen);
				}
				if (!item.is_string()) {
					kind = INI_TOML_ARRAY;
				}
				text += (first ? "" : "\n") + one;
				first = false;
			}
			if (add(out, key, text, line, 1,
				native ? kind : INI_TEXT) < 0) {
				std::snprintf(err, errlen, "%s: out of memory",
					      name);
				return -1;
			}
			continue;
		}
		if (!scalar_text(v, text)) {
			return fail_at(v, name, key,
				       "expected a string, number or array",
				       err, errlen);
		}
		if (add(out, key, text, line, 0,
			native ? scalar_kind(v) : INI_TEXT) < 0) {
			std::snprintf(err, errlen, "%s: out of memory", name);
			return -1;
		}
	}
	return 1;
}

/* pyproject.toml: [tool.pytest] with keys of its own (native TOML, pytest
 * 9) or [tool.pytest.ini_options] (ini mode); both is an error, as in
 * pytest 9. */
int read_pyproject(toml::table &root, const char *name,
		   struct ini_entries *out, int *native, char *err,
		   size_t errlen)
{
	toml::node_view<toml::node> tool = root["tool"]["pytest"];
	toml::table native_keys;
	toml::node_view<toml::node> opts;

	if (!tool) {
		return 0;
	}
	if (!tool.is_table()) {
		std::snprintf(err, errlen, "%s: tool.pytest is not a table",
			      name);
		return -1;
	}
	for (auto &&[k, v] : *tool.as_table()) {
		if (k.str() != "ini_options") {
			native_keys.insert(k, v);
		}
	}
	opts = tool["ini_options"];
	if (!native_keys.empty() && opts) {
		std::snprintf(err, errlen,
			      "%s: cannot use both [tool.pytest] (native TOML "
			      "types) and [tool.pytest.ini_options] (string-based "
			      "INI format)",
			      name);
		return -1;
	}
	if (!native_keys.empty()) {
		*native = 1;
		return read_table(*tool.as_table(), name, out, err, errlen,
				  "ini_options", true);
	}
	if (!opts) {
		return 0;
	}
	if (!opts.is_table()) {
		std::snprintf(err, errlen,
			      "%s: tool.pytest.ini_options is not a table",
			      name);
		return -1;
	}
	return read_table(*opts.as_table(), name, out, err, errlen, nullptr,
			  false);
}

} // namespace

extern "C" int pyproject_parse(const char *text, size_t len, const char *name,
			       int pytest_toml, struct ini_entries *out,
			       int *native, char *err, size_t errlen)
{
	*native = 0;
	try {
		toml::table root = toml::parse(std::string_view(text, len),
					       std::string_view(name));

		if (!pytest_toml) {
			return read_pyproject(root, name, out, native, err,
					      errlen);
		}
		/* pytest.toml: its [pytest] table; the file counts even
		 * without one */
		*native = 1;
		if (!root["pytest"]) {
			return 1;
		}
		if (!root["pytest"].is_table()) {
			std::snprintf(err, errlen, "%s: pytest is not a table",
				      name);
			return -1;
		}
		return read_table(*root["pytest"].as_table(), name, out, err,
				  errlen, nullptr, true);
	} catch (const toml::parse_error &e) {
		std::snprintf(err, errlen, "%s:%u:%u: not valid TOML: %.*s", name,
			      e.source().begin.line, e.source().begin.column,
			      (int)e.description().size(),
			      e.description().data());
		return -1;
	} catch (const std::exception &e) {
		std::snprintf(err, errlen, "%s: %s", name, e.what());
		return -1;
	} catch (...) {
		std::snprintf(err, errlen, "%s: cannot be read", name);
		return -1;
	}
}
