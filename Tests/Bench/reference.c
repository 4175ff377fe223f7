/* The reference program of the benchmark (docs/performance.md): what a plain C service
 * does with json-c for the same traffic. For each request line on stdin it parses the
 * request, builds a reply of the same size as cds's reply (a deep copy of a reply
 * template read at start, with the request's id), serialises it and writes one line.
 *
 *   reference TEMPLATE.json < requests.ndjson > replies.ndjson
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: reference TEMPLATE.json\n"); return 64; }
    json_object *template = json_object_from_file(argv[1]);
    if (!template) { fprintf(stderr, "reference: cannot read %s\n", argv[1]); return 66; }
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    json_tokener *tokener = json_tokener_new();
    while ((length = getline(&line, &capacity, stdin)) > 0) {
        json_tokener_reset(tokener);
        json_object *request = json_tokener_parse_ex(tokener, line, (int)length);
        json_object *reply = json_object_new_object();
        json_object_object_add(reply, "jsonrpc", json_object_new_string("2.0"));
        json_object *id = NULL;
        if (request && json_object_object_get_ex(request, "id", &id)) {
            json_object_object_add(reply, "id", json_object_get(id));
        } else {
            json_object_object_add(reply, "id", NULL);
        }
        json_object *result = NULL;
        json_object_deep_copy(template, &result, NULL);
        json_object_object_add(reply, "result", result);
        size_t size = 0;
        const char *text = json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &size);
        fwrite(text, 1, size, stdout);
        fputc('\n', stdout);
        /* Answer each request as it comes (like a server), not at the end of input. */
        fflush(stdout);
        json_object_put(reply);
        json_object_put(request);
    }
    json_tokener_free(tokener);
    json_object_put(template);
    free(line);
    return 0;
}
