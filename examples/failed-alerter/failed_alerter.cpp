// A custom consumer, as in the README: alert on every FAILED HSM action, from every MDT.
// StreamReader finds the streams, reads them all at once and reconnects by itself; this program
// only decides what an event means to it.
//
// Usage: failed-alerter [host [port]]
#include <csignal>
#include <iostream>
#include <string>

#include <hsm/consume/stream_reader.hpp>

namespace {
volatile std::sig_atomic_t stop = 0;
void on_signal(int) { stop = 1; }
}  // namespace

int main(int argc, char** argv) {
    hsm::consume::ReaderOptions options;
    options.host = argc > 1 ? argv[1] : "redis.cluster.local";
    options.port = argc > 2 ? std::stoi(argv[2]) : 6379;
    options.db = 1;
    options.prefix = "hsm:actions";
    options.start = hsm::consume::StartAt::Now;  // only what happens from now on
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    hsm::consume::StreamReader reader(options);
    std::cout << "Monitoring for failed HSM actions..." << std::endl;
    while (!stop) {
        // Waits up to a second for events from any MDT; events are views valid until the next read.
        for (const hsm::consume::Event& event : reader.read(std::chrono::seconds(1))) {
            if (event.status == "FAILED")
                std::cout << "ALERT: " << event.action << " failed on " << event.mdt << " for FID "
                          << event.fid << std::endl;  // add your own: mail, Slack, a ticket...
        }
    }
    std::cout << "Stopped." << std::endl;
    return 0;
}
