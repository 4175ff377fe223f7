/* The physical floor of the benchmark (docs/performance.md): the least work any server
 * must do for the same traffic. For each request line on stdin it parses the request with
 * json-c (a server must read the request to know its id), and writes a reply computed
 * before the first request: the bytes of {"jsonrpc":"2.0","id":ID,"result":TEMPLATE} with
 * the request's id spliced in, TEMPLATE the text of cds's own reply's result (the same
 * size as cds's reply), flushing each reply as a server must.
 *
 *   floor TEMPLATE.json < requests.ndjson > replies.ndjson
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: floor TEMPLATE.json\n"); return 64; }
    FILE *file = fopen(argv[1], "rb");
    if (!file) { fprintf(stderr, "floor: cannot read %s\n", argv[1]); return 66; }
    /* The reply's tail: ,"result":TEMPLATE}\n, read once; trailing white space dropped. */
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
    static const char middle[] = ",\"result\":";
    size_t used = sizeof middle - 1, capacity = 1 << 16;
    char *tail = malloc(capacity);
    if (!tail) return 70;
    memcpy(tail, middle, used);
    size_t got;
    for (;;) {
        if (capacity - used < 4096) {
            capacity *= 2;
            char *grown = realloc(tail, capacity);
            if (!grown) return 70;
            tail = grown;
        }
        got = fread(tail + used, 1, capacity - used - 2, file);
        if (got == 0) break;
        used += got;
    }
    fclose(file);
    while (used > sizeof middle - 1 && (tail[used - 1] == '\n' || tail[used - 1] == ' ' || tail[used - 1] == '\r')) used--;
    tail[used++] = '}';
    tail[used++] = '\n';

    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    char *line = NULL;
    size_t line_capacity = 0;
    ssize_t length;
    json_tokener *tokener = json_tokener_new();
    while ((length = getline(&line, &line_capacity, stdin)) > 0) {
        json_tokener_reset(tokener);
        json_object *request = json_tokener_parse_ex(tokener, line, (int)length);
        json_object *id = NULL;
        const char *id_text = "null";
        size_t id_length = 4;
        if (request && json_object_object_get_ex(request, "id", &id) && id) {
            id_text = json_object_to_json_string_length(id, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &id_length);
        }
        fwrite(head, 1, sizeof head - 1, stdout);
        fwrite(id_text, 1, id_length, stdout);
        fwrite(tail, 1, used, stdout);
        /* Answer each request as it comes (like a server), not at the end of input. */
        fflush(stdout);
        json_object_put(request);
    }
    json_tokener_free(tokener);
    free(tail);
    free(line);
    return 0;
}
