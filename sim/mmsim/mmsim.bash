# bash completion for mmsim(1), mmkit's paging simulator.
# Installed as <completionsdir>/mmsim; or: source sim/mmsim/mmsim.bash
#
# mmsim [--arch ISA] run|trace|exec|help [OPTIONS] OPERANDS: --arch,
# --version and --list-arch before the command (the ISAs are what
# `mmsim --list-arch` prints); each command its own options; scripts
# (*.mmsim), traces and executables are files. After exec's ELF, the words
# are the program's: files, never mmsim's options. Needs nothing from the
# bash-completion package.

# The ISAs the mmsim being completed ($1) was built with.
_mmsim_isas()
{
	"$1" --list-arch 2> /dev/null | tr '\n' ' '
}

# The options of each command (as `mmsim help COMMAND` lists them).
_mmsim_options()
{
	case $1 in
	run) echo "--json --dot --tlb --mem --thp --help" ;;
	trace) echo "--json --dot --tlb --mem --thp --fold --quiet --check-stale --image --load-base --help" ;;
	exec) echo "--json --dot --eager --tlb --mem --thp --load-base --trace --fold --quiet --help" ;;
	esac
}

# The words of $1 that complete $2 (with the prefix $3), into COMPREPLY.
_mmsim_words()
{
	mapfile -t COMPREPLY < <(compgen -P "${3:-}" -W "$1" -- "$2")
}

# File names matching the glob $2 (every file if empty) and directories,
# completing $1, into COMPREPLY.
_mmsim_files()
{
	local IFS=$'\n' f
	COMPREPLY=()
	for f in $(compgen -f -- "$1"); do
		# shellcheck disable=SC2053 # $2 is a glob
		if [[ -d $f ]]; then
			COMPREPLY+=("$f")
		elif [[ -z $2 || $f == $2 ]]; then
			COMPREPLY+=("$f")
		fi
	done
	compopt -o filenames 2> /dev/null
}

_mmsim()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=''
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	local isas
	isas=$(_mmsim_isas "${COMP_WORDS[0]}")

	# --arch=VALUE, as one word or split at '=' by COMP_WORDBREAKS.
	if [[ $cur == --arch=* ]]; then
		_mmsim_words "$isas" "${cur#--arch=}" --arch=
		return
	fi
	if [[ $prev == = && $COMP_CWORD -ge 2 && ${COMP_WORDS[COMP_CWORD - 2]} == --arch ]]; then
		_mmsim_words "$isas" "$cur"
		return
	fi
	if [[ $cur == = && $prev == --arch ]]; then
		read -ra COMPREPLY <<< "$isas"
		return
	fi

	# The command: the first word that is not --arch, its value or an option.
	local i=1 cmd='' w
	while ((i < COMP_CWORD)); do
		w=${COMP_WORDS[i]}
		case $w in
		--arch) ((i += 2)); continue ;;
		--arch=* | =) ;;
		-*) ;;
		*)
			if [[ ${COMP_WORDS[i - 1]} == = && ${COMP_WORDS[i - 2]} == --arch ]]; then
				:
			else
				cmd=$w
				break
			fi
			;;
		esac
		((i++))
	done

	if [[ -z $cmd ]]; then
		if [[ $prev == --arch ]]; then
			_mmsim_words "$isas" "$cur"
		else
			_mmsim_words "run trace exec help --arch --version --list-arch --help" "$cur"
		fi
		return
	fi

	case $cmd in
	help)
		((COMP_CWORD == i + 1)) && _mmsim_words "run trace exec" "$cur"
		return
		;;
	run | trace | exec) ;;
	*) return ;;
	esac

	# Past the command: its options and operands. An option's value is
	# the next word; '--' ends the options; exec's ELF ends them too, and
	# what follows it is the program's arguments.
	local j=$((i + 1)) operands=0 dashdash=''
	while ((j < COMP_CWORD)); do
		w=${COMP_WORDS[j]}
		if [[ -z $dashdash && $w == -- ]]; then
			dashdash=1
		elif [[ -z $dashdash && " --dot --tlb --mem --image --load-base --trace " == *" $w "* ]]; then
			((j++)) # its value
		elif [[ -n $dashdash || $w != -* ]]; then
			((operands++))
		fi
		((j++))
	done

	if [[ $cmd == exec ]] && ((operands > 0)); then
		_mmsim_files "$cur" "" # the program's arguments
		return
	fi
	if [[ -z $dashdash ]]; then
		case $prev in
		--dot | --image | --trace)
			_mmsim_files "$cur" ""
			return
			;;
		--tlb | --mem | --load-base) return ;; # a number
		esac
		if [[ $cur == -* ]]; then
			_mmsim_words "$(_mmsim_options "$cmd")" "$cur"
			return
		fi
	fi
	((operands > 0)) && return # run and trace take one
	case $cmd in
	run) _mmsim_files "$cur" "*.mmsim" ;;
	*) _mmsim_files "$cur" "" ;;
	esac
}

complete -F _mmsim mmsim
