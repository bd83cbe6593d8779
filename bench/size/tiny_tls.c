/* tiny_tls.cpp in C, on OpenSSL's API directly: the reference for binary_size.sh. */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct end {
  SSL* ssl;
  BIO* in;  /* what the peer sent: the SSL reads it */
  BIO* out; /* what the SSL wrote for the peer */
};

static int make_end(SSL_CTX* ctx, struct end* e) {
  e->ssl = SSL_new(ctx);
  e->in = BIO_new(BIO_s_mem());
  e->out = BIO_new(BIO_s_mem());
  if (e->ssl == NULL || e->in == NULL || e->out == NULL) return 0;
  BIO_set_mem_eof_return(e->in, -1);
  BIO_set_mem_eof_return(e->out, -1);
  SSL_set_bio(e->ssl, e->in, e->out);
  return 1;
}

static int carry(struct end* from, struct end* to) {
  char wire[16384];
  for (;;) {
    size_t taken = 0, given = 0;
    if (BIO_read_ex(from->out, wire, sizeof wire, &taken) != 1) return BIO_should_retry(from->out);
    if (BIO_write_ex(to->in, wire, taken, &given) != 1) return 0;
  }
}

static int progress(struct end* e, int* done) {
  int ret;
  if (*done) return 1;
  ERR_clear_error();
  ret = SSL_do_handshake(e->ssl);
  *done = ret == 1;
  return *done || SSL_get_error(e->ssl, ret) == SSL_ERROR_WANT_READ;
}

static int send_line(struct end* e, const char* line) {
  size_t written = 0;
  ERR_clear_error();
  return SSL_write_ex(e->ssl, line, strlen(line), &written) == 1;
}

static int print_line(struct end* e) {
  char buffer[1025];
  size_t read = 0;
  ERR_clear_error();
  if (SSL_read_ex(e->ssl, buffer, sizeof buffer - 1, &read) != 1) return 0;
  buffer[read] = '\0';
  fputs(buffer, stdout);
  return 1;
}

int main(int argc, char** argv) {
  SSL_CTX *server_ctx, *client_ctx;
  struct end server, client;
  int client_done = 0, server_done = 0, round;
  if (argc != 3) {
    fprintf(stderr, "usage: tiny_tls cert.pem key.pem\n");
    return 2;
  }
  server_ctx = SSL_CTX_new(TLS_server_method());
  client_ctx = SSL_CTX_new(TLS_client_method());
  if (server_ctx == NULL || client_ctx == NULL) return 1;
  if (SSL_CTX_use_certificate_file(server_ctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(server_ctx, argv[2], SSL_FILETYPE_PEM) != 1) {
    fprintf(stderr, "cannot load the certificate or key\n");
    return 1;
  }
  if (!make_end(server_ctx, &server) || !make_end(client_ctx, &client)) return 1;
  SSL_set_accept_state(server.ssl);
  SSL_set_connect_state(client.ssl);
  for (round = 0; round < 10 && !(client_done && server_done); ++round) {
    if (!progress(&client, &client_done) || !carry(&client, &server) || !progress(&server, &server_done) ||
        !carry(&server, &client)) {
      fprintf(stderr, "handshake failed\n");
      return 1;
    }
  }
  if (!send_line(&client, "hello from the client\n") || !carry(&client, &server) || !print_line(&server)) return 1;
  if (!send_line(&server, "hello from the server\n") || !carry(&server, &client) || !print_line(&client)) return 1;
  SSL_free(client.ssl);
  SSL_free(server.ssl);
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
  return 0;
}
