// Command k8s-testbin is one binary that runs a real etcd, kube-apiserver,
// kube-controller-manager or kubectl, chosen by the name it is invoked as (a
// symlink named after the component) or else by its first argument. It exists
// so the end-to-end tests and the local development cluster can start a
// genuine control plane on a machine without a container engine: everything
// is built from the published Go modules.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	_ "time/tzdata"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"

	// Client auth plugins (exec, oidc) for kubeconfigs that use them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

const usage = `usage: k8s-testbin <etcd|kube-apiserver|kube-controller-manager|kubectl> [flags...]
   or: invoke it through a symlink named etcd, kube-apiserver, kube-controller-manager or kubectl`

func isComponent(name string) bool {
	switch name {
	case "etcd", "kube-apiserver", "kube-controller-manager", "kubectl":
		return true
	}
	return false
}

func main() {
	component, args := "", []string(nil)
	if self := filepath.Base(os.Args[0]); isComponent(self) {
		component, args = self, os.Args[1:]
	} else if len(os.Args) >= 2 {
		component, args = os.Args[1], os.Args[2:]
	} else {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	switch component {
	case "etcd":
		// etcdmain reads os.Args itself, so present it as a plain etcd invocation.
		etcdmain.Main(append([]string{"etcd"}, args...))
	case "kube-apiserver":
		command := apiserver.NewAPIServerCommand()
		command.SetArgs(args)
		os.Exit(cli.Run(command))
	case "kube-controller-manager":
		command := controllermanager.NewControllerManagerCommand()
		command.SetArgs(args)
		os.Exit(cli.Run(command))
	case "kubectl":
		// kubectl reads os.Args for plugin lookup and flag parsing, so it must
		// look like a plain kubectl invocation.
		os.Args = append([]string{"kubectl"}, args...)
		// Verbosity is set before the command is built so klog works while
		// kubectl handles plugins and reads .kuberc, as upstream kubectl does.
		logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) // nolint:errcheck
		command := cmd.NewDefaultKubectlCommand()
		if err := cli.RunNoErrOutput(command); err != nil {
			kubectlutil.CheckErr(err)
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown component %q\n%s\n", component, usage)
		os.Exit(2)
	}
}
