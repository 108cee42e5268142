// Mounts a component for a test the way the portal runs it: with Vuetify installed, inside a v-app.
import { mount } from "@vue/test-utils"
import { type Component, defineComponent, h } from "vue"
import { createVuetify } from "vuetify"
import { aliases, mdi } from "vuetify/iconsets/mdi-svg"

export function mountWithVuetify<P extends Record<string, unknown>>(component: Component, props: P = {} as P) {
  const vuetify = createVuetify({ icons: { defaultSet: "mdi", aliases, sets: { mdi } } })
  const Host = defineComponent({
    setup:
      (_, { attrs }) =>
      () =>
        h("div", { "data-v-app": "" }, [h(component, attrs)]),
  })
  return mount(Host, { props, attachTo: document.body, global: { plugins: [vuetify] } })
}
