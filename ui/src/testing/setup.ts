// happy-dom has no window.visualViewport, which Vuetify's overlays (dialogs, menus) read for their position.
if (!("visualViewport" in window)) {
  const viewport = Object.assign(new EventTarget(), {
    get width() {
      return window.innerWidth
    },
    get height() {
      return window.innerHeight
    },
    offsetLeft: 0,
    offsetTop: 0,
    pageLeft: 0,
    pageTop: 0,
    scale: 1,
  })
  Object.defineProperty(window, "visualViewport", { value: viewport })
}
