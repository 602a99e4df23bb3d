/* glibc's scalar functions over an array: the baseline a plain C loop gets. Compiled without
 * vectorization (and without -ffast-math), so every element is one libm call. */
#include <math.h>
#include <stddef.h>

void asmforge_vm_glibc_expf(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
}
void asmforge_vm_glibc_exp(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = exp(x[i]);
}
void asmforge_vm_glibc_exp2f(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = exp2f(x[i]);
}
void asmforge_vm_glibc_exp2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = exp2(x[i]);
}
void asmforge_vm_glibc_logf(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = logf(x[i]);
}
void asmforge_vm_glibc_log(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = log(x[i]);
}
void asmforge_vm_glibc_log2f(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = log2f(x[i]);
}
void asmforge_vm_glibc_log2(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = log2(x[i]);
}
void asmforge_vm_glibc_sinf(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = sinf(x[i]);
}
void asmforge_vm_glibc_sin(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = sin(x[i]);
}
void asmforge_vm_glibc_cosf(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = cosf(x[i]);
}
void asmforge_vm_glibc_cos(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = cos(x[i]);
}
