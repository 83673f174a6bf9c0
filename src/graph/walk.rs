//! The one scheduler: a concurrent walk over a [`Dag`], as terraform's
//! `internal/dag/walk.go`. A node starts once every node it depends on is
//! done; what it does is up to a [`Visitor`], which may hand the walker
//! asynchronous jobs. At most `limit` jobs run at once as tokio tasks
//! (quick jobs the visitor marks inline run on the walker's own task,
//! outside the limit). A failed node skips everything that depends on it,
//! directly or not; independent branches go on. Once [`Cancel`] fires, or
//! the visitor halts the walk, nothing new starts and the jobs already
//! running finish.
//!
//! Knows nothing of resources: plan, refresh and apply are visitors.
//! Entry point: [`walk`].

use super::{Dag, NodeId};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::task::JoinSet;

/// A job's future: owned, so that it can run as a task of its own.
pub type Job<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A quick job's future, run on the walker's task: it may borrow the
/// visitor.
pub type LocalJob<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// What a node does next, as its visitor decides.
pub enum Visit<J> {
    /// Done: what depends on it may start.
    Done,
    /// Failed: what depends on it is skipped.
    Failed,
    /// Run these jobs; the visitor hears of each as it finishes
    /// ([`Visitor::finished`]) and says then what comes next.
    Run(Vec<J>),
    /// Keep waiting for the node's jobs still queued or running.
    Wait,
}

/// A node's state during and after a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not started: cancelled or halted before its turn.
    Pending,
    /// Started and not finished: cancelled or halted while it waited.
    Running,
    Done,
    Failed,
    /// Not attempted: something it depends on failed.
    Skipped,
}

/// What a walk does at each node.
pub trait Visitor {
    /// A unit of work, queued until the limit allows it to run.
    type Job;
    /// What a job's future returns.
    type Output: Send + 'static;

    /// Starts node `id`: every node it depends on is done.
    fn start(&mut self, id: NodeId) -> Visit<Self::Job>;

    /// Whether `job` is quick and runs on the walker's task, outside the
    /// limit, instead of as a task of its own.
    fn inline(&self, _job: &Self::Job) -> bool {
        false
    }

    /// `job` of node `id` leaves the queue and runs: its future.
    fn launch(&mut self, id: NodeId, job: Self::Job) -> Job<Self::Output>;

    /// Runs quick `job` of node `id` on the walker's task (see
    /// [`Visitor::inline`]); by default, its launched future.
    fn run_inline(&mut self, id: NodeId, job: Self::Job) -> LocalJob<'_, Self::Output> {
        self.launch(id, job)
    }

    /// A job of node `id` finished.
    fn finished(&mut self, id: NodeId, output: Self::Output) -> Visit<Self::Job>;

    /// A job of node `id` stopped without an output (it panicked).
    fn lost(&mut self, id: NodeId, message: String) -> Visit<Self::Job>;

    /// Node `id` is skipped because `cause` failed.
    fn skipped(&mut self, _id: NodeId, _cause: NodeId) {}

    /// The walk was cancelled, with `in_flight` jobs still running.
    fn interrupted(&mut self, _in_flight: usize) {}

    /// Whether to start nothing more (e.g. a record can no longer be written).
    fn halted(&self) -> bool {
        false
    }
}

/// Set (e.g. from a signal handler) to stop starting new work.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    notify: Arc<tokio::sync::Notify>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Resolves once cancelled.
    pub async fn cancelled(&self) {
        if !self.is_cancelled() {
            self.notify.notified().await;
        }
    }
}

/// How a walk ended: each node's status, and whether it was cancelled.
#[derive(Debug)]
pub struct Walked {
    status: Vec<Status>,
    pub cancelled: bool,
}

impl Walked {
    pub fn status(&self, id: NodeId) -> Status {
        self.status[id.index()]
    }
}

/// Walks `dag` with `visitor`, at most `limit` jobs at once (at least one).
pub async fn walk<N, E, V: Visitor>(
    dag: &Dag<N, E>,
    limit: usize,
    cancel: &Cancel,
    visitor: &mut V,
) -> Walked {
    let indegree: Vec<usize> = dag.ids().map(|id| dag.dependencies(id).len()).collect();
    let ready = dag.ids().filter(|id| indegree[id.index()] == 0).collect();
    let mut w = Walker {
        dag,
        visitor,
        cancel,
        limit: limit.max(1),
        status: vec![Status::Pending; dag.len()],
        jobs: vec![0; dag.len()],
        indegree,
        ready,
        queue: VecDeque::new(),
        tasks: JoinSet::new(),
        task_nodes: HashMap::new(),
        interrupted: false,
    };
    w.run().await;
    Walked {
        status: w.status,
        cancelled: w.interrupted,
    }
}

struct Walker<'a, N, E, V: Visitor> {
    dag: &'a Dag<N, E>,
    visitor: &'a mut V,
    cancel: &'a Cancel,
    limit: usize,
    status: Vec<Status>,
    /// Per node: its jobs queued or running.
    jobs: Vec<usize>,
    indegree: Vec<usize>,
    ready: VecDeque<NodeId>,
    queue: VecDeque<(NodeId, V::Job)>,
    tasks: JoinSet<V::Output>,
    task_nodes: HashMap<tokio::task::Id, NodeId>,
    interrupted: bool,
}

impl<N, E, V: Visitor> Walker<'_, N, E, V> {
    fn stopped(&self) -> bool {
        self.interrupted || self.visitor.halted()
    }

    async fn run(&mut self) {
        loop {
            if self.cancel.is_cancelled() && !self.interrupted {
                self.interrupted = true;
                self.visitor.interrupted(self.tasks.len());
            }
            // Nodes start while the queue has room, so that a wide graph
            // does not hold every node's work in memory at once.
            while !self.stopped()
                && self.queue.len() < self.limit
                && let Some(id) = self.ready.pop_front()
            {
                self.begin(id);
                self.run_inline().await;
            }
            self.pump().await;
            if self.tasks.is_empty() {
                if self.ready.is_empty() || self.stopped() {
                    break;
                }
                continue;
            }
            tokio::select! {
                joined = self.tasks.join_next_with_id() => match joined {
                    Some(Ok((task, output))) => {
                        if let Some(id) = self.task_nodes.remove(&task) {
                            self.finished(id, output);
                        }
                    }
                    Some(Err(e)) => {
                        if let Some(id) = self.task_nodes.remove(&e.id()) {
                            self.jobs[id.index()] -= 1;
                            let next = self.visitor.lost(id, e.to_string());
                            self.handle(id, next);
                        }
                    }
                    None => {}
                },
                _ = self.cancel.cancelled(), if !self.interrupted => {}
            }
        }
    }

    fn begin(&mut self, id: NodeId) {
        if self.status[id.index()] != Status::Pending {
            return;
        }
        self.status[id.index()] = Status::Running;
        let next = self.visitor.start(id);
        self.handle(id, next);
    }

    fn handle(&mut self, id: NodeId, next: Visit<V::Job>) {
        let running = self.status[id.index()] == Status::Running;
        match next {
            Visit::Done if running => self.complete(id, false),
            Visit::Failed if running => self.complete(id, true),
            Visit::Done | Visit::Failed => {}
            Visit::Run(jobs) => {
                self.jobs[id.index()] += jobs.len();
                self.queue.extend(jobs.into_iter().map(|j| (id, j)));
            }
            Visit::Wait => {}
        }
        // A node that waits for nothing would wait forever.
        if self.status[id.index()] == Status::Running && self.jobs[id.index()] == 0 {
            tracing::error!(node = id.index(), "a node waits without work; failing it");
            self.complete(id, true);
        }
    }

    fn finished(&mut self, id: NodeId, output: V::Output) {
        self.jobs[id.index()] -= 1;
        let next = self.visitor.finished(id, output);
        self.handle(id, next);
    }

    /// Runs the quick jobs at the front of the queue.
    async fn run_inline(&mut self) {
        while !self.stopped()
            && self
                .queue
                .front()
                .is_some_and(|(_, j)| self.visitor.inline(j))
        {
            let Some((id, job)) = self.queue.pop_front() else {
                break;
            };
            let output = self.visitor.run_inline(id, job).await;
            self.finished(id, output);
        }
    }

    /// Launches queued jobs up to the limit; quick ones run right here.
    async fn pump(&mut self) {
        while !self.stopped() {
            let inline = self
                .queue
                .front()
                .is_some_and(|(_, j)| self.visitor.inline(j));
            if !inline && self.tasks.len() >= self.limit {
                break;
            }
            let Some((id, job)) = self.queue.pop_front() else {
                break;
            };
            if inline {
                let output = self.visitor.run_inline(id, job).await;
                self.finished(id, output);
            } else {
                let task = self.tasks.spawn(self.visitor.launch(id, job));
                self.task_nodes.insert(task.id(), id);
            }
        }
    }

    /// Marks a node finished and releases (or skips) what depends on it.
    fn complete(&mut self, id: NodeId, failed: bool) {
        self.status[id.index()] = if failed { Status::Failed } else { Status::Done };
        for dep in self.dag.dependents(id) {
            if failed {
                self.skip(dep, id);
            } else if self.status[dep.index()] == Status::Pending {
                self.indegree[dep.index()] -= 1;
                if self.indegree[dep.index()] == 0 {
                    self.ready.push_back(dep);
                }
            }
        }
    }

    fn skip(&mut self, id: NodeId, cause: NodeId) {
        let mut stack = vec![id];
        while let Some(s) = stack.pop() {
            if self.status[s.index()] != Status::Pending {
                continue;
            }
            self.status[s.index()] = Status::Skipped;
            self.visitor.skipped(s, cause);
            stack.extend(self.dag.dependents(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// Each job's name, whether the entry is its beginning, and when.
    type Log = Arc<Mutex<Vec<(&'static str, bool, Instant)>>>;

    /// A fake graph's visitor: each node runs one job that sleeps, and
    /// fails if its name is in `fail`. The log says when each job began
    /// and ended.
    struct Sleeper<'a> {
        names: &'a Dag<&'static str, ()>,
        fail: Vec<&'static str>,
        inline: bool,
        log: Log,
        skipped: Vec<(&'static str, &'static str)>,
        started: Vec<&'static str>,
        cancel_after: Option<(&'static str, Cancel)>,
        interrupted: Option<usize>,
    }

    impl<'a> Sleeper<'a> {
        fn new(names: &'a Dag<&'static str, ()>) -> Self {
            Sleeper {
                names,
                fail: Vec::new(),
                inline: false,
                log: Arc::default(),
                skipped: Vec::new(),
                started: Vec::new(),
                cancel_after: None,
                interrupted: None,
            }
        }

        /// The most jobs in flight at once, from the log.
        fn max_in_flight(&self) -> usize {
            let mut log = self.log.lock().unwrap().clone();
            log.sort_by_key(|(_, begin, at)| (*at, *begin));
            let (mut now, mut max) = (0usize, 0usize);
            for (_, begin, _) in log {
                if begin {
                    now += 1;
                    max = max.max(now);
                } else {
                    now -= 1;
                }
            }
            max
        }
    }

    impl Visitor for Sleeper<'_> {
        type Job = &'static str;
        type Output = bool;

        fn start(&mut self, id: NodeId) -> Visit<&'static str> {
            let name = *self.names.node(id);
            self.started.push(name);
            Visit::Run(vec![name])
        }

        fn inline(&self, _: &&'static str) -> bool {
            self.inline
        }

        fn launch(&mut self, _: NodeId, name: &'static str) -> Job<bool> {
            let log = self.log.clone();
            let ok = !self.fail.contains(&name);
            Box::pin(async move {
                log.lock().unwrap().push((name, true, Instant::now()));
                tokio::time::sleep(Duration::from_millis(20)).await;
                log.lock().unwrap().push((name, false, Instant::now()));
                ok
            })
        }

        fn finished(&mut self, id: NodeId, ok: bool) -> Visit<&'static str> {
            if let Some((name, cancel)) = &self.cancel_after
                && self.names.node(id) == name
            {
                cancel.cancel();
            }
            if ok { Visit::Done } else { Visit::Failed }
        }

        fn lost(&mut self, _: NodeId, _: String) -> Visit<&'static str> {
            Visit::Failed
        }

        fn skipped(&mut self, id: NodeId, cause: NodeId) {
            self.skipped
                .push((*self.names.node(id), *self.names.node(cause)));
        }

        fn interrupted(&mut self, in_flight: usize) {
            self.interrupted = Some(in_flight);
        }
    }

    /// `a → b → c`, `a → d`, and `e` alone.
    fn sample() -> Dag<&'static str, ()> {
        let mut g = Dag::default();
        let a = g.add_node("a");
        let b = g.add_node("b");
        let c = g.add_node("c");
        let d = g.add_node("d");
        g.add_node("e");
        g.add_edge(a, b, ());
        g.add_edge(b, c, ());
        g.add_edge(a, d, ());
        g
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    fn position(log: &[(&str, bool, Instant)], name: &str, begin: bool) -> usize {
        log.iter()
            .position(|(n, b, _)| *n == name && *b == begin)
            .unwrap_or_else(|| panic!("{name} not in the log"))
    }

    #[test]
    fn a_node_starts_only_after_its_dependencies_finished() {
        let g = sample();
        let mut v = Sleeper::new(&g);
        let walked = runtime().block_on(walk(&g, 10, &Cancel::default(), &mut v));
        let log = v.log.lock().unwrap().clone();
        assert!(position(&log, "a", false) < position(&log, "b", true));
        assert!(position(&log, "b", false) < position(&log, "c", true));
        assert!(position(&log, "a", false) < position(&log, "d", true));
        assert!(g.ids().all(|id| walked.status(id) == Status::Done));
        assert!(!walked.cancelled);
    }

    #[test]
    fn no_more_jobs_run_at_once_than_the_limit() {
        let mut g: Dag<&'static str, ()> = Dag::default();
        const NAMES: [&str; 12] = [
            "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11",
        ];
        for n in NAMES {
            g.add_node(n);
        }
        for limit in [1, 3, 12] {
            let mut v = Sleeper::new(&g);
            runtime().block_on(walk(&g, limit, &Cancel::default(), &mut v));
            assert_eq!(v.max_in_flight(), limit, "limit {limit}");
        }
    }

    #[test]
    fn a_failure_skips_its_dependents_and_nothing_else() {
        let g = sample();
        let mut v = Sleeper::new(&g);
        v.fail = vec!["b"];
        let walked = runtime().block_on(walk(&g, 2, &Cancel::default(), &mut v));
        let status = |n: &str| walked.status(g.ids().find(|&i| *g.node(i) == n).unwrap());
        assert_eq!(status("b"), Status::Failed);
        assert_eq!(status("c"), Status::Skipped);
        for n in ["a", "d", "e"] {
            assert_eq!(status(n), Status::Done, "{n}");
        }
        assert_eq!(v.skipped, [("c", "b")]);
        assert!(!v.started.contains(&"c"));
    }

    #[test]
    fn a_skip_reaches_dependents_of_dependents_with_the_first_cause() {
        let g = sample();
        let mut v = Sleeper::new(&g);
        v.fail = vec!["a"];
        runtime().block_on(walk(&g, 2, &Cancel::default(), &mut v));
        let mut skipped = v.skipped.clone();
        skipped.sort();
        assert_eq!(skipped, [("b", "a"), ("c", "a"), ("d", "a")]);
    }

    #[test]
    fn cancel_starts_nothing_new_and_lets_running_jobs_finish() {
        let g = sample();
        let cancel = Cancel::default();
        let mut v = Sleeper::new(&g);
        v.cancel_after = Some(("a", cancel.clone()));
        let walked = runtime().block_on(walk(&g, 1, &cancel, &mut v));
        assert!(walked.cancelled);
        assert_eq!(v.interrupted, Some(0));
        // With one job at a time, `a` ran first and nothing after it.
        let log = v.log.lock().unwrap().clone();
        let begun: Vec<&str> = log.iter().filter(|e| e.1).map(|e| e.0).collect();
        let ended: Vec<&str> = log.iter().filter(|e| !e.1).map(|e| e.0).collect();
        assert_eq!(begun, ["a"]);
        assert_eq!(ended, ["a"]);
        let b = g.ids().find(|&i| *g.node(i) == "b").unwrap();
        assert_eq!(walked.status(b), Status::Pending);
    }

    #[test]
    fn inline_jobs_run_one_by_one_in_dependency_order() {
        let g = sample();
        let mut v = Sleeper::new(&g);
        v.inline = true;
        runtime().block_on(walk(&g, 10, &Cancel::default(), &mut v));
        assert_eq!(v.max_in_flight(), 1);
        // Ready nodes start in turn: first those with no dependencies.
        assert_eq!(v.started, ["a", "e", "b", "d", "c"]);
    }
}
