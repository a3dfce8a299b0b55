#pragma once
// The processes a study runs on: the ranks of an MPI job when the binary was started by
// mpirun (and built with Open MPI), otherwise this process alone. Only the calling thread
// talks to MPI; the study's worker threads never do.

#include <string>
#include <vector>

namespace microstamp::cli {

class StudyRanks {
public:
    StudyRanks();  // joins the MPI job when mpirun started this process
    ~StudyRanks();
    StudyRanks(const StudyRanks&) = delete;
    StudyRanks& operator=(const StudyRanks&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    int local_size() const { return local_size_; }  // ranks on this machine, sharing its cores
    const std::string& host() const { return host_; }

    // Every rank must make the same calls in the same order (they are MPI collectives).
    void barrier() const;
    std::vector<double> sum(const std::vector<double>& values) const;  // element-wise, over the ranks

private:
    bool joined_ = false;
    int rank_ = 0;
    int size_ = 1;
    int local_size_ = 1;
    std::string host_;
};

// Whether this build can run a study under mpirun.
bool built_with_mpi();

} // namespace microstamp::cli
