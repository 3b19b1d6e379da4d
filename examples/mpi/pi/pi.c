/* Monte Carlo estimate of pi across MPI ranks: each rank samples its own points, rank 0 sums the hits.
 * Every rank prints its share, so the launcher's log proves which hosts of the hostfile took part. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int rank, size, name_length;
  char name[MPI_MAX_PROCESSOR_NAME];
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(name, &name_length);

  const long samples = 2000000;
  long hits = 0, total_hits = 0;
  unsigned int seed = 17u + (unsigned int)rank;
  for (long i = 0; i < samples; i++) {
    double x = (double)rand_r(&seed) / RAND_MAX, y = (double)rand_r(&seed) / RAND_MAX;
    if (x * x + y * y <= 1.0) hits++;
  }
  printf("rank %d of %d on %s sampled %ld points\n", rank, size, name, samples);
  MPI_Reduce(&hits, &total_hits, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) printf("pi is approximately %.6f (from %d ranks)\n", 4.0 * total_hits / (samples * size), size);
  MPI_Finalize();
  return 0;
}
