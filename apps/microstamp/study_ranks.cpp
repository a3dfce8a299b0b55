#include "study_ranks.hpp"

#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

#ifdef MICROSTAMP_MPI
#include <mpi.h>
#endif

namespace microstamp::cli {
namespace {

// mpirun (Open MPI's ORTE or PMIx launchers, MPICH's Hydra) tells its processes their
// rank through the environment; a binary started by hand never calls MPI_Init, so it
// neither needs an MPI daemon nor behaves differently from a build without MPI.
bool started_by_mpirun() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
        if (std::getenv(name)) return true;
    return false;
}

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "unknown host";
    return name;
}

} // namespace

bool built_with_mpi() {
#ifdef MICROSTAMP_MPI
    return true;
#else
    return false;
#endif
}

StudyRanks::StudyRanks() : host_(host_name()) {
#ifdef MICROSTAMP_MPI
    if (!started_by_mpirun()) return;
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    joined_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_free(&local);
#else
    if (started_by_mpirun() && std::getenv("OMPI_COMM_WORLD_SIZE") && std::atoi(std::getenv("OMPI_COMM_WORLD_SIZE")) > 1)
        throw std::runtime_error("this microstamp was built without MPI; run the study without mpirun "
                                 "(or rebuild with Open MPI installed)");
#endif
}

StudyRanks::~StudyRanks() {
#ifdef MICROSTAMP_MPI
    if (joined_) MPI_Finalize();
#endif
}

void StudyRanks::barrier() const {
#ifdef MICROSTAMP_MPI
    if (joined_) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

std::vector<double> StudyRanks::sum(const std::vector<double>& values) const {
    std::vector<double> total = values;
#ifdef MICROSTAMP_MPI
    if (joined_)
        MPI_Allreduce(values.data(), total.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#endif
    return total;
}

} // namespace microstamp::cli
