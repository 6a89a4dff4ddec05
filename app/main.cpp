// boxoffice: the one binary. Subcommands: serve (more come with their issues).
#include "actors/directory.h"
#include "actors/protocol.h"
#include "app/demo.h"
#include "config/settings.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

namespace {

using namespace boxoffice;

struct serve_options {
  std::optional<std::string> config_path;
  bool demo = false;
};

void configure_actor_system(caf::actor_system_config& cfg, const settings& s) {
  register_protocol(cfg);
  // CAF's default is max(cores, 4) worker threads; the HTTP layer needs cores too.
  cfg.set("scheduler.max-threads", static_cast<size_t>(s.actors.threads));
}

// Waits on the main thread (not an actor, not an HTTP thread) for a signal.
int wait_for_stop_signal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

int serve(const serve_options& opts) {
  // Block the stop signals before any thread starts, so that every thread
  // inherits the mask and only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto s = load_settings(opts.config_path, process_env());
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s);
  caf::actor_system sys{cfg};
  auto dir = spawn_directory(sys, directory_settings{s.reservation, s.actors.event_idle_stop_s,
                                                     s.actors.event_backlog_max});
  if (opts.demo) {
    auto demo = create_demo_event(sys, dir);
    if (!demo) {
      spdlog::error("could not create the demo event: {}", sys.render(demo.error()));
      caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
      return 1;
    }
    for (size_t i = 0; i < demo->sections.size(); ++i)
      spdlog::info("demo event {} section {} '{}': {} seats free", demo->info.id,
                   demo->info.sections[i].id, demo->info.sections[i].name,
                   demo->sections[i].free);
  }
  spdlog::info("boxoffice ready: {} actor threads (HTTP API arrives with its issue); "
               "Ctrl-C to stop",
               s.actors.threads);
  auto signal = wait_for_stop_signal(signals);
  spdlog::info("signal {}: stopping", signal);
  caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxoffice: a ticketing server for flash sales"};
  app.require_subcommand(1);
  serve_options serve_opts;
  auto serve_cmd = app.add_subcommand("serve", "Start the server");
  serve_cmd->add_option("--config", serve_opts.config_path, "YAML configuration file")
    ->check(CLI::ExistingFile);
  serve_cmd->add_flag("--demo", serve_opts.demo, "Create a demo event on sale at start");
  CLI11_PARSE(app, argc, argv);
  try {
    if (serve_cmd->parsed())
      return serve(serve_opts);
  } catch (const config_error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
  return 0;
}
