// Churn (see churn.hpp).
#include "churn.hpp"

namespace hsm::test::fault {

Churn::Churn(std::filesystem::path root, std::string fsname, unsigned mdts, std::size_t live, std::uint64_t seed)
    : root_(std::move(root)), fsname_(std::move(fsname)) {
    for (unsigned i = 0; i < mdts; ++i) {
        sim::Config c;
        c.mdt_index = i;
        c.seed = seed;
        c.live_target = live;
        sims_.emplace_back(c);
    }
    for (unsigned i = 0; i < sims_.size(); ++i) sims_[i].write_atomic(file(i));
}

Churn::~Churn() { pause(); }

void Churn::remove(unsigned i) {
    std::lock_guard lock(mutex_);
    std::filesystem::remove_all(file(i).parent_path().parent_path());
}

void Churn::restore(unsigned i) {
    std::lock_guard lock(mutex_);
    sims_[i].write_atomic(file(i));
}

std::string Churn::mdt(unsigned i) const { return sim::mdt_name(fsname_, i); }
std::filesystem::path Churn::file(unsigned i) const { return sim::actions_path(root_, fsname_, i); }

void Churn::write_all() {
    for (unsigned i = 0; i < sims_.size(); ++i) {
        // A scenario may have removed the MDT's directory (failover): it comes back only when
        // the scenario recreates it.
        if (!std::filesystem::exists(file(i).parent_path().parent_path())) continue;
        sims_[i].write_atomic(file(i));
    }
    ++rewrites_;
}

void Churn::step(double seconds) {
    std::lock_guard lock(mutex_);
    for (auto& s : sims_) s.tick(seconds);
    write_all();
}

void Churn::resume(std::chrono::milliseconds period, double step_seconds) {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this, period, step_seconds] {
        while (running_) {
            step(step_seconds);
            std::this_thread::sleep_for(period);
        }
    });
}

void Churn::pause() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
}

}  // namespace hsm::test::fault
