/* The Vatra version, as `version` and the banner show it. */
#ifndef VATRA_VERSION_H
#define VATRA_VERSION_H

#define VATRA_VERSION "0.1"

#endif
