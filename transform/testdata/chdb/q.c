#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct chdb_connection_ { void *internal_data; } *chdb_connection;
typedef struct chdb_result_ chdb_result;
extern chdb_connection *chdb_connect(int argc, char **argv);
extern void chdb_close_conn(chdb_connection *conn);
extern chdb_result *chdb_query(chdb_connection conn, const char *query, const char *format);
extern char *chdb_result_buffer(chdb_result *r);
extern size_t chdb_result_length(chdb_result *r);
extern const char *chdb_result_error(chdb_result *r);
extern void chdb_destroy_query_result(chdb_result *r);
static char *slurp(const char *p) { FILE *f = fopen(p, "rb"); if (!f) { perror(p); exit(2);} fseek(f,0,SEEK_END); long n=ftell(f); rewind(f); char *b=malloc(n+1); fread(b,1,n,f); b[n]=0; fclose(f); return b; }
int main(int argc, char **argv) {
  char *a[] = {"clickhouse", "--path=/tmp/fm_chdb/data"};
  chdb_connection *c = chdb_connect(2, a);
  if (!c) { fprintf(stderr, "connect failed\n"); return 1; }
  int bad = 0;
  for (int i = 1; i < argc; i++) {
    char *q = slurp(argv[i]);
    chdb_result *r = chdb_query(*c, q, "TSV");
    const char *e = chdb_result_error(r);
    if (e && *e) { printf("FAIL %s: %s\n", argv[i], e); bad++; }
    else { printf("OK   %s: %.*s\n", argv[i], (int)(chdb_result_length(r) > 100000 ? 100000 : chdb_result_length(r)), chdb_result_buffer(r)); }
    chdb_destroy_query_result(r);
  }
  chdb_close_conn(c);
  return bad ? 1 : 0;
}
