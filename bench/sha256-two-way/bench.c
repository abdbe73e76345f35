/* Checks the two-way SHA-256 against OpenSSL, then times one-way twice, two-way, and OpenSSL twice over 64 MiB. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <openssl/sha.h>
void bw_sha256_blocks(uint32_t *state, const uint8_t *data, size_t blocks);
void bw_sha256_blocks2(uint32_t *sa, const uint8_t *a, uint32_t *sb, const uint8_t *b, size_t blocks);
int bw_sha256_supported(void);
static const uint32_t IV[8]={0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
static void full(const uint8_t*m,size_t n,uint8_t out[32]){uint32_t s[8];memcpy(s,IV,32);size_t nb=n/64;bw_sha256_blocks(s,m,nb);uint8_t t[128]={0};size_t r=n%64;memcpy(t,m+nb*64,r);t[r]=0x80;size_t tl=(r<56)?64:128;uint64_t bits=(uint64_t)n*8;for(int i=0;i<8;i++)t[tl-1-i]=bits>>(8*i);bw_sha256_blocks(s,t,tl/64);for(int i=0;i<8;i++){out[4*i]=s[i]>>24;out[4*i+1]=s[i]>>16;out[4*i+2]=s[i]>>8;out[4*i+3]=s[i];}}
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  printf("supported %d\n",bw_sha256_supported());
  size_t N=64<<20; uint8_t*buf=malloc(N); for(size_t i=0;i<N;i++)buf[i]=rand();
  for(size_t n=0;n<300;n++){uint8_t a[32],b[32];full(buf+n,n*7,a);SHA256(buf+n,n*7,b);if(memcmp(a,b,32)){printf("MISMATCH %zu\n",n);return 1;}}
  uint32_t s[8],t[8];memcpy(s,IV,32);memcpy(t,IV,32);
  /* two-way equals one-way */
  uint32_t u[8],v[8];memcpy(u,IV,32);memcpy(v,IV,32);bw_sha256_blocks(u,buf,1000);bw_sha256_blocks(v,buf+13*64+5,1000);
  bw_sha256_blocks2(s,buf,t,buf+13*64+5,1000); if(memcmp(s,u,32)||memcmp(t,v,32)){printf("2way mismatch\n");return 1;}
  printf("ok\n");
  for(int r=0;r<3;r++){
  double t0=now(); bw_sha256_blocks(s,buf,N/64); bw_sha256_blocks(t,buf,N/64); double t1=now();
  bw_sha256_blocks2(s,buf,t,buf,N/64); double t2=now();
  uint8_t o[32]; SHA256(buf,N,o); SHA256(buf,N,o); double t3=now();
  printf("1-way x2: %.0f MB/s per pass; 2-way: %.0f MB/s per pass; openssl x2: %.0f MB/s\n", 2*N/(t1-t0)/1e6, 2*N/(t2-t1)/1e6, 2*N/(t3-t2)/1e6);}
}
