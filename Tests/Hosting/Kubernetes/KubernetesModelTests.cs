using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>What the rendered overlays say about each resource of the model: user, variables, probes, waits, replicas, routes, images.</summary>
public class KubernetesModelTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private List<Dictionary<object, object>> Production => manifests.Objects["production"];

    private static IEnumerable<Dictionary<object, object>> Workloads(List<Dictionary<object, object>> objects)
        => objects.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet" or "Job");

    [Fact]
    public void Every_container_of_every_overlay_runs_as_a_numeric_non_root_user_without_privilege_escalation()
    {
        foreach (var (overlay, objects) in manifests.Objects)
        {
            foreach (var workload in Workloads(objects))
            {
                var where = $"{overlay}: {workload.At("metadata", "name")}";
                var pod = workload.At("spec", "template", "spec", "securityContext");
                Assert.True((string?)pod.At("runAsNonRoot") == "true", where);
                Assert.True(long.Parse((string)pod.At("runAsUser")!) > 0 && pod.At("fsGroup") is string, where);
                foreach (var container in workload.Containers())
                {
                    Assert.True((string?)container.At("securityContext", "allowPrivilegeEscalation") == "false", $"{where}/{container["name"]}");
                    Assert.True((string?)container.At("securityContext", "runAsNonRoot") == "true", $"{where}/{container["name"]}");
                    Assert.True(long.Parse((string)container.At("securityContext", "runAsUser")!) > 0, $"{where}/{container["name"]}");
                }
            }
        }
        Assert.Equal("10001", Production.Object("Deployment", "api").At("spec", "template", "spec", "securityContext", "runAsUser"));
        Assert.Equal("999", Production.Object("StatefulSet", "postgres").At("spec", "template", "spec", "securityContext", "runAsUser"));
        Assert.Contains("USER 10001:10001", File.ReadAllText(Path.Combine(Publisher.RepoRoot, "services", "Dockerfile")));
    }

    [Fact]
    public void Each_container_receives_exactly_its_resources_variables_each_by_its_own_key_reference_as_compose_gives_them()
    {
        var compose = Publisher.ReadYaml(Path.Combine(manifests.Output, "docker-compose.yml")).Map("services");
        foreach (var workload in Workloads(Production))
        {
            var name = (string)workload.At("metadata", "name")!;
            var container = workload.Items("spec", "template", "spec", "containers").Single();
            Assert.Null(container.At("envFrom"));
            var expected = compose.Map(name, "environment");
            var env = container.Items("env").ToList();
            Assert.Equal(expected.Keys.Cast<string>().Order(StringComparer.Ordinal), env.Select(e => (string)e["name"]));
            foreach (var variable in env)
            {
                var value = (string)expected[variable["name"]];
                if (value.StartsWith("${", StringComparison.Ordinal))
                {
                    Assert.Equal(value[2..value.IndexOfAny([':', '}'])], variable.At("valueFrom", "secretKeyRef", "key"));
                    continue;
                }
                var map = (string)variable.At("valueFrom", "configMapKeyRef", "name")!;
                Assert.Equal(variable["name"], variable.At("valueFrom", "configMapKeyRef", "key"));
                Assert.Equal(value.Replace("$$", "$", StringComparison.Ordinal), Production.Object("ConfigMap", map).At("data", (string)variable["name"]));
            }
        }
    }

    [Fact]
    public void Readiness_comes_from_the_compose_health_checks_and_liveness_only_asks_whether_the_process_answers()
    {
        var api = Container("Deployment", "api");
        Assert.Equal(("/health", "8000"), ((string)api.At("readinessProbe", "httpGet", "path")!, (string)api.At("readinessProbe", "httpGet", "port")!));
        Assert.Equal("8000", api.At("livenessProbe", "tcpSocket", "port"));
        Assert.StartsWith("/bin/sh -c pg_isready", Exec("postgres"));
        var redis = Exec("redis");
        Assert.Equal("/bin/sh -c redis-cli ping | grep PONG", redis); // authenticated by REDISCLI_AUTH, no -a on a command line
        var redisArgs = ((List<object>)Container("StatefulSet", "redis").At("args")!).Cast<string>().ToList();
        Assert.Equal(["redis-server", "--requirepass", "$(REDISCLI_AUTH)"], redisArgs.Take(3)); // the kubelet expands the Secret-backed variable
        foreach (var container in Workloads(Production).Select(w => w.Items("spec", "template", "spec", "containers").Single()))
        {
            Assert.Null(container.At("livenessProbe", "httpGet"));
            Assert.Null(container.At("livenessProbe", "exec"));
        }
    }

    private string Exec(string statefulSet) => string.Join(' ', ((List<object>)Container("StatefulSet", statefulSet).At("readinessProbe", "exec", "command")!).Cast<string>());

    private Dictionary<object, object> Container(string kind, string name, string overlay = "production")
        => manifests.Objects[overlay].Object(kind, name).Items("spec", "template", "spec", "containers").Single();

    [Fact]
    public void The_scheduler_runs_one_replica_with_recreate_and_the_api_at_least_two_with_an_autoscaler_in_production_only()
    {
        var scheduler = Production.Object("Deployment", "scheduler");
        Assert.Equal(("1", "Recreate"), ((string)scheduler.At("spec", "replicas")!, (string)scheduler.At("spec", "strategy", "type")!));
        Assert.Null(Production.Object("Deployment", "api").At("spec", "replicas")); // the autoscaler owns them
        var hpa = Production.Object("HorizontalPodAutoscaler", "api");
        Assert.Equal(("api", "2"), ((string)hpa.At("spec", "scaleTargetRef", "name")!, (string)hpa.At("spec", "minReplicas")!));
        foreach (var overlay in new[] { "development", "testing" })
        {
            Assert.DoesNotContain(manifests.Objects[overlay], d => (string)d["kind"] == "HorizontalPodAutoscaler");
            Assert.All(Workloads(manifests.Objects[overlay]).Where(w => (string)w["kind"] != "Job"), w => Assert.Equal("1", w.At("spec", "replicas")));
            Assert.Equal("RollingUpdate", manifests.Objects[overlay].Object("Deployment", "app").At("spec", "strategy", "type"));
        }
        Assert.Equal("debug", manifests.Objects["development"].ConfigMap("api-env").At("data", "LOG_LEVEL"));
    }

    [Fact]
    public void Testing_runs_postgres_in_memory_and_the_test_runner_as_a_job_that_is_not_restarted()
    {
        var postgres = manifests.Objects["testing"].Object("StatefulSet", "postgres");
        Assert.Equal("Memory", postgres.Items("spec", "template", "spec", "volumes").Single(v => (string?)v.At("emptyDir", "medium") == "Memory").At("emptyDir", "medium"));
        Assert.Null(postgres.At("spec", "volumeClaimTemplates"));
        Assert.NotNull(Production.Object("StatefulSet", "postgres").At("spec", "volumeClaimTemplates"));
        var runner = manifests.Objects["testing"].Object("Job", "test-runner");
        Assert.Equal(("Never", "0"), ((string)runner.At("spec", "template", "spec", "restartPolicy")!, (string)runner.At("spec", "backoffLimit")!));
        Assert.Equal("services:testing", runner.Items("spec", "template", "spec", "containers").Single()["image"]);
        Assert.Equal("services:production", Container("Deployment", "api")["image"]);
        Assert.DoesNotContain(Production, d => (string)d["kind"] == "Job");
    }

    [Fact]
    public void Every_wait_for_health_or_service_is_an_init_container_polling_the_dependencys_service_port_and_a_wait_for_a_start_none()
    {
        string[] Waits(string kind, string name, string overlay = "production") => [.. manifests.Objects[overlay].Object(kind, name)
            .Items("spec", "template", "spec", "initContainers").Where(c => (string)c["name"] != "postgres-init").Select(c => (string)c.At("command", 2)!)];
        // The api waits for Redis to start only (it serves degraded without it): no init container for Redis.
        Assert.Equal(["until nc -z -w 2 postgres 5432; do echo waiting for postgres 5432; sleep 2; done"], Waits("Deployment", "api"));
        Assert.Equal(["api 8000"], Waits("Deployment", "app").Select(w => w.Split(';')[0]["until nc -z -w 2 ".Length..]));
        Assert.Equal(["api", "postgres"], Waits("Deployment", "scheduler").Select(w => w.Split(' ')[5]));
        Assert.Equal(5, Waits("Job", "test-runner", "testing").Length);
        Assert.Empty(Waits("StatefulSet", "postgres"));
    }

    [Fact]
    public void Services_keep_the_compose_names_and_ports_and_the_nginx_ingress_routes_root_to_app_and_api_to_api()
    {
        Assert.Equal("1", (string)Production.ConfigMap("app-env").At("data", "TRUSTED_PROXY_COUNT")!); // behind the ingress controller
        foreach (var (name, port) in new[] { ("postgres", "5432"), ("redis", "6379"), ("api", "8000"), ("app", "5000") })
        {
            var service = Production.Object("Service", name);
            Assert.Equal(("ClusterIP", port), ((string)service.At("spec", "type")!, (string)service.At("spec", "ports", 0, "port")!));
        }
        var app = Production.Object("Ingress", "app-ingress");
        Assert.Equal(("nginx", "/", "app", "5000"), ((string)app.At("spec", "ingressClassName")!, (string)app.At("spec", "rules", 0, "http", "paths", 0, "path")!,
            (string)app.At("spec", "rules", 0, "http", "paths", 0, "backend", "service", "name")!, (string)app.At("spec", "rules", 0, "http", "paths", 0, "backend", "service", "port", "number")!));
        var api = Production.Object("Ingress", "api-ingress");
        Assert.Equal(("/api(/|$)(.*)", "api", "/$2"), ((string)api.At("spec", "rules", 0, "http", "paths", 0, "path")!,
            (string)api.At("spec", "rules", 0, "http", "paths", 0, "backend", "service", "name")!, (string)api.At("metadata", "annotations", "nginx.ingress.kubernetes.io/rewrite-target")!));
    }
}
