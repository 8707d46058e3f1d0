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
	const std::string &value, int line, int is_list)
{
	return inifile_entries_add(out, key.c_str(), value.c_str(), line,
				   is_list);
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

int read_table(const toml::table &t, const char *name,
	       struct ini_entries *out, char *err, size_t errlen)
{
	for (auto &&[k, v] : t) {
		std::string key(k.str());
		std::string text;
		int line = (int)v.source().begin.line;

		if (auto arr = v.as_array()) {
			bool first = true;

			for (auto &&item : *arr) {
				std::string one;

				if (!scalar_text(item, one)) {
					return fail_at(item, name, key,
						       "arrays may hold only "
						       "strings and numbers",
						       err, errlen);
				}
				text += (first ? "" : "\n") + one;
				first = false;
			}
			if (add(out, key, text, line, 1) < 0) {
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
		if (add(out, key, text, line, 0) < 0) {
			std::snprintf(err, errlen, "%s: out of memory", name);
			return -1;
		}
	}
	return 1;
}

} // namespace

extern "C" int pyproject_parse(const char *text, size_t len, const char *name,
			       struct ini_entries *out, char *err,
			       size_t errlen)
{
	try {
		toml::table root = toml::parse(std::string_view(text, len),
					       std::string_view(name));
		toml::node_view<toml::node> opts =
			root["tool"]["pytest"]["ini_options"];

		if (!opts) {
			return 0;
		}
		if (!opts.is_table()) {
			std::snprintf(err, errlen,
				      "%s: tool.pytest.ini_options is not a "
				      "table",
				      name);
			return -1;
		}
		return read_table(*opts.as_table(), name, out, err, errlen);
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
